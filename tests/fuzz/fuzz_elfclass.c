// SPDX-License-Identifier: GPL-2.0-only
/* exec_classify() on arbitrary bytes, as a whole file and as a prefix of a larger one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elfclass.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void classify(const uint8_t *data, size_t size, uint64_t file_size)
{
	enum sw_exec_class class = SW_EXEC__COUNT;
	char *interp = NULL;

	if (exec_classify(data, size, file_size, &class, &interp))
		abort();
	if (class >= SW_EXEC__COUNT)
		abort();
	if (interp && (!interp[0] || (class != SW_EXEC_ELF_EXEC && class != SW_EXEC_ELF_PIE &&
				      class != SW_EXEC_SCRIPT)))
		abort();
	free(interp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a private copy of exactly @size bytes so ASan sees any overread */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	classify(copy, size, size);
	classify(copy, size, (uint64_t)size + 4096);
	free(copy);
	return 0;
}
