"""Garbage sent to the agent's telemetry and control endpoints is survived: malformed frames are
dropped and counted, the run finishes `succeeded` with its real data intact."""
import os
import random

import msgpack
import zmq

from e2e_support import Project, main, slow_spec


def test():
    prj = Project("garbage")
    run_id = prj.start_detached(prj.spec("slow", slow_spec("slow", ranks=2, steps=80, sleep=0.05)))
    rec = prj.wait_for(run_id, lambda r: r["status"] == "running" and r["agent"]["telemetry"], 30, "running")
    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 2000)
    push.connect(rec["agent"]["telemetry"])
    rnd = random.Random(7)
    frames = [b"", b"\xc1", os.urandom(1), b"not msgpack at all"]
    frames += [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))) for _ in range(300)]
    frames.append(msgpack.packb({"v": 1, "r": "zero"}))                          # wrong type
    frames.append(msgpack.packb({"v": 99, "r": 0}))                              # wrong version
    frames.append(msgpack.packb({"v": 1, "r": 0, "m": [["x", [1, 2], [0.0], [1.0]]]}))  # ragged columns
    frames.append(msgpack.packb({"v": 1, "r": 1000, "src": "worker", "seq": 0, "drop": 0}))  # rank that can't exist
    frames.append(msgpack.packb({"v": 1, "r": 0, "src": "worker", "seq": 0, "drop": 0,
                                 "m": [["../../escape", [1], [0.0], [1.0]]]}))   # name escaping the group
    frames.append(msgpack.packb([1, 2, 3]))
    frames.append(b"\xdd\xff\xff\xff\xff")                                         # array32 claiming 4G items
    for f in frames:
        push.send(f)
    # Multipart garbage too.
    push.send_multipart([b"a", b"b", os.urandom(50)])

    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.RCVTIMEO, 5000)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(rec["agent"]["control"])
    req.send(b"\x00\xff garbage")
    reply = req.recv_json()
    assert reply["ok"] is False and "error" in reply, reply
    req.send_json({"cmd": "status"})
    status = req.recv_json()
    assert status["ok"] and status["status"] == "running", status
    push.close()
    req.close()
    ctx.term()

    final = prj.wait_final(run_id, 90)
    assert final["status"] == "succeeded", final
    assert final["rejected"] >= 300, final["rejected"]
    import h5py
    with h5py.File(prj.run_dir(run_id) / "run.h5", "r") as f:
        assert len(f["metrics/rank-0/loss"]) == 80 and len(f["metrics/rank-1/loss"]) == 80
        assert "escape" not in str(list(f.keys())) and "rank-1000" not in f["metrics"]


if __name__ == "__main__":
    main(test)
