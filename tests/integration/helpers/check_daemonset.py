#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# check_daemonset.py YAML HELP_FILE UNIT CONFIG_OUT: assert what the DaemonSet
# must have (docs/deploy.md); write its config.json to CONFIG_OUT for the
# caller to load with the real binary. One "PASS: name" / "FAIL: name — why"
# line per check on stdout.
import json
import re
import sys

import yaml

path, help_file, unit_file, config_out = sys.argv[1:5]
docs = list(yaml.safe_load_all(open(path)))
daemon_help = open(help_file).read()


def check(name, ok, why=""):
    print(("PASS: %s" % name) if ok else ("FAIL: %s — %s" % (name, why)))


by_kind = {d["kind"]: d for d in docs if d}
ds = by_kind.get("DaemonSet")
cm = by_kind.get("ConfigMap")
check("daemonset-present", ds is not None and cm is not None, "needs a DaemonSet and a ConfigMap")
if ds is None or cm is None:
    sys.exit(0)
spec = ds["spec"]["template"]["spec"]
ctrs = spec["containers"]
c = ctrs[0]
check("hostpid", spec.get("hostPID") is True, "hostPID must be true")
check("priority", spec.get("priorityClassName") == "system-node-critical")
tol = spec.get("tolerations", [])
check("tolerate-all-taints",
      any(t.get("operator") == "Exists" and "key" not in t and "effect" not in t for t in tol),
      "needs a toleration {operator: Exists} without key/effect")
check("no-sa-token", spec.get("automountServiceAccountToken") is False)
res = c.get("resources", {})
check("resources",
      all(k in res.get("requests", {}) and k in res.get("limits", {}) for k in ("cpu", "memory")),
      "cpu and memory requests and limits")
sc = c.get("securityContext", {})
caps = sc.get("capabilities", {})
check("caps-drop-all", caps.get("drop") == ["ALL"])
unit_caps = set()
for line in open(unit_file):
    if line.startswith("CapabilityBoundingSet="):
        unit_caps = {x.replace("CAP_", "") for x in line.split("=", 1)[1].split()}
check("caps-match-unit", set(caps.get("add", [])) == unit_caps and unit_caps,
      "pod adds %s, unit allows %s" % (caps.get("add"), sorted(unit_caps)))
check("not-privileged", sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False)
check("read-only-root", sc.get("readOnlyRootFilesystem") is True)

# every flag in args exists in `sealwatch daemon --help`
args = c.get("args", [])
flags = [a.split("=")[0] for a in args if a.startswith("-")]
missing = [f for f in flags if not re.search(r"(^|[ ,])%s\b" % re.escape(f), daemon_help, re.M)]
check("args-in-help", args[:1] == ["daemon"] and not missing, "unknown flags %s" % missing)

# config: the --config path is mounted from the ConfigMap, and valid (caller loads it)
cfg_path = args[args.index("--config") + 1] if "--config" in args else None
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
vols = {v["name"]: v for v in spec.get("volumes", [])}
check("config-mounted", cfg_path in mounts and vols[mounts[cfg_path]["name"]].get("configMap"),
      "%s not mounted from a ConfigMap" % cfg_path)
cfg_text = cm["data"]["config.json"]
open(config_out, "w").write(cfg_text)
cfg = json.loads(cfg_text)


def mounted(p):
    return any(p == m or p.startswith(m.rstrip("/") + "/") for m in mounts)


check("baselines-mounted", mounted(cfg["baseline_dir"]), cfg.get("baseline_dir"))
check("keys-mounted", all(mounted(k) for k in cfg["trusted_keys"]), str(cfg["trusted_keys"]))
need = ["/sys/kernel/btf", "/var/lib/containers", "/run/containerd", "/var/lib/docker",
        "/run/crio", "/run/containers"]
check("host-mounts", all(p in mounts for p in need), "missing %s" % [p for p in need if p not in mounts])
check("mounts-read-only", all(m.get("readOnly") for m in mounts.values()))
state = [p for p in need if p.startswith(("/var/lib/", "/run/"))]
check("runtime-state-propagation",
      all(mounts[p].get("mountPropagation") == "HostToContainer" for p in state if p in mounts),
      "runtime state mounts need mountPropagation: HostToContainer (new container rootfs mounts)")
hostpaths = {v["name"]: v["hostPath"]["path"] for v in vols.values() if "hostPath" in v}
check("hostpaths-same-place",
      all(hostpaths[m["name"]] == p for p, m in mounts.items() if m["name"] in hostpaths),
      "hostPath volumes must be mounted at the same path")

# probes on /healthz at the port metrics_listen binds
port = int(cfg["metrics_listen"].rsplit(":", 1)[1])
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
ok = True
for probe in ("livenessProbe", "readinessProbe"):
    g = c.get(probe, {}).get("httpGet", {})
    pp = ports.get(g.get("port"), g.get("port"))
    ok = ok and g.get("path") == "/healthz" and pp == port and g.get("host") == "127.0.0.1"
check("probes-healthz", ok,
      "liveness and readiness must GET /healthz on 127.0.0.1 port %d" % port)
# issue 18: metrics and health on loopback only; the pod shares the node's network
# namespace so that the kubelet reaches that loopback and no tenant pod does
check("listen-loopback", cfg["metrics_listen"].startswith("127.0.0.1:"),
      "metrics_listen must be loopback")
check("host-network-for-loopback-probes", spec.get("hostNetwork") is True,
      "a loopback listener needs hostNetwork for the kubelet's probes")
