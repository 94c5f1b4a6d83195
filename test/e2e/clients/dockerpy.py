"""docker-py (Debian's python3-docker 5.0.3) against a berth socket, one check per call.

Usage: python3 dockerpy.py SOCKET CHECK [ARG...]. Each check prints one JSON document with what
it saw; the node test that runs it asserts on that (CI counts node's test runner only). An
unexpected exception exits non-zero with its traceback on stderr.
"""
import json
import sys
import time

import docker
import docker.errors
from docker.types import LogConfig

NET = "none"


def client(sock, **kw):
    return docker.DockerClient(base_url="unix://" + sock, **kw)


def api_error(fn):
    try:
        fn()
    except docker.errors.APIError as e:
        return {"status": e.status_code, "message": e.explanation}
    return {"status": 0}


def check_exec(c, name):
    ct = c.containers.get(name)
    api = c.api
    # exec_start's default tty=False: the process still runs on the terminal it was created with.
    e = api.exec_create(ct.id, "sh -c 'echo hi'", tty=True)
    created_tty = api.exec_start(e["Id"]).decode()
    e = api.exec_create(ct.id, "sh -c 'echo hi'", tty=False)
    plain = api.exec_start(e["Id"]).decode()
    run_tty = ct.exec_run("sh -c 'echo hi'", tty=True)
    missing = ct.exec_run("no-such-command")
    not_exec = ct.exec_run("/etc/passwd")
    sh_missing = ct.exec_run("sh -c no-such-command")
    return {
        "created_tty": created_tty,
        "plain": plain,
        "run_tty": run_tty.output.decode(),
        "missing": missing.exit_code,
        "not_exec": not_exec.exit_code,
        "sh_missing": sh_missing.exit_code,
    }


def check_kill(c):
    ct = c.containers.run("busybox", "sleep 1000", detach=True, network_mode=NET)
    ct.kill()
    ct.reload()
    out = {"status": ct.attrs["State"]["Status"], "exit": ct.attrs["State"]["ExitCode"]}
    ct.remove()
    return out


def check_restart(sock):
    # A client with a 4 s read timeout, as the SDK's own tests use.
    c = client(sock, timeout=4)
    ct = c.containers.run("busybox", ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"], detach=True, network_mode=NET)
    first = ct.attrs["State"]["StartedAt"] if ct.attrs.get("State") else ""
    t0 = time.time()
    ct.restart(timeout=1)
    took = time.time() - t0
    ct.reload()
    out = {"seconds": took, "status": ct.attrs["State"]["Status"], "restarted": ct.attrs["State"]["StartedAt"] != first}
    ct.remove(force=True)
    return out


def check_update(c, name):
    ct = c.containers.get(name)
    res = {}
    fields = {
        "cpu_shares": 512,
        "cpu_period": 50000,
        "cpu_quota": 25000,
        "cpuset_cpus": "0",
        "cpuset_mems": "0",
        "mem_limit": 100 * 1024 * 1024,
        "memswap_limit": 300 * 1024 * 1024,
        "mem_reservation": 50 * 1024 * 1024,
        "kernel_memory": 50 * 1024 * 1024,
        "blkio_weight": 300,
    }
    for k, v in fields.items():
        kw = {k: v}
        if k == "mem_limit":
            kw["memswap_limit"] = 300 * 1024 * 1024
        try:
            r = ct.update(**kw)
            res[k] = {"status": 200, "warnings": r.get("Warnings") or []}
        except docker.errors.APIError as e:
            res[k] = {"status": e.status_code, "message": e.explanation}
    # docker-py 5 has no pids_limit in update(); the low-level call takes the raw body.
    r = c.api._post_json(c.api._url("/containers/{0}/update", ct.id), data={"PidsLimit": 64})
    res["pids_limit"] = {"status": r.status_code}
    res["restart_policy"] = {"status": 200, "warnings": ct.update(restart_policy={"Name": "on-failure", "MaximumRetryCount": 2}).get("Warnings") or []}
    r = c.api._post_json(c.api._url("/containers/{0}/update", ct.id), data={"NanoCpus": 500000000})
    res["nano_cpus_after_period"] = {"status": r.status_code, "message": r.json().get("message", "")}
    ct.reload()
    h = ct.attrs["HostConfig"]
    keys = ["CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems", "Memory", "MemorySwap", "MemoryReservation", "KernelMemory", "BlkioWeight", "PidsLimit", "RestartPolicy"]
    return {"results": res, "hostConfig": {k: h.get(k) for k in keys}}


def check_commit(c):
    ct = c.containers.run("busybox", "sh -c 'echo x > /committed'", detach=True, network_mode=NET, labels={"from": "dockerpy"})
    ct.wait()
    img = ct.commit("dockerpy-commit", "v1")
    a = img.attrs
    out = {"container": a.get("Container"), "id": ct.id, "containerConfig": a.get("ContainerConfig"), "config": a.get("Config")}
    ct.remove()
    c.images.remove(img.id)
    return out


def check_load(c):
    try:
        c.images.load(b"these bytes are no archive")
    except docker.errors.ImageLoadError as e:
        return {"raised": "ImageLoadError", "message": str(e)}
    except docker.errors.APIError as e:
        return {"raised": "APIError", "status": e.status_code, "message": e.explanation}
    return {"raised": None}


def check_swarm(c):
    return {
        "leave": c.swarm.leave(force=True),
        "inspect": api_error(lambda: c.api.inspect_swarm()),
        "nodes": api_error(lambda: c.nodes.list()),
        "services": api_error(lambda: c.services.list()),
        "tasks": api_error(lambda: c.api.tasks()),
        "configs": api_error(lambda: c.configs.list()),
        "unlock_key": api_error(lambda: c.api.get_unlock_key()),
        "leave_unforced": api_error(lambda: c.api.leave_swarm(force=False)),
    }


def check_create(c):
    out = {"log_driver": api_error(lambda: c.containers.create("busybox", "true", log_config=LogConfig(type="asdf"), network_mode=NET))}
    out["bad_rule"] = api_error(lambda: c.containers.create("busybox", "true", device_cgroup_rules=["x 1:2 rwm"], network_mode=NET))
    out["runtime"] = api_error(lambda: c.containers.create("busybox", "true", runtime="no-such-runtime", network_mode=NET))
    ct = c.containers.run("busybox", "sleep 1000", detach=True, network_mode=NET, device_cgroup_rules=["c 42:* rmw", "b 7:0 r"], mem_limit="64m")
    h = ct.attrs["HostConfig"]
    out.update({"id": ct.id, "Runtime": h.get("Runtime"), "DeviceCgroupRules": h.get("DeviceCgroupRules"), "MemorySwap": h.get("MemorySwap")})
    return out


CHECKS = {
    "exec": lambda sock, args: check_exec(client(sock), *args),
    "kill": lambda sock, args: check_kill(client(sock)),
    "restart": lambda sock, args: check_restart(sock),
    "update": lambda sock, args: check_update(client(sock), *args),
    "commit": lambda sock, args: check_commit(client(sock)),
    "load": lambda sock, args: check_load(client(sock)),
    "swarm": lambda sock, args: check_swarm(client(sock)),
    "create": lambda sock, args: check_create(client(sock)),
}

if __name__ == "__main__":
    sock, check, *rest = sys.argv[1:]
    print(json.dumps(CHECKS[check](sock, rest)))
