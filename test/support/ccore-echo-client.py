"""A proxyless gRPC client on gRPC C-core (Debian's python3-grpcio), driven by the tests over stdin.

The second, independent xDS client of the end-to-end tests (the first is @grpc/grpc-js-xds): C-core is
the xDS client inside gRPC C++, Python and Ruby. Run with /usr/bin/python3; the bootstrap comes in
GRPC_XDS_BOOTSTRAP_CONFIG, the target as argv[1] (xds:///host:port).

Requests, one JSON object per line: {"id": 1, "deadline_ms": 5000, "headers": {"x-user": "a"}}.
Answers, one per line, in completion order: {"id": 1, "who": "v1"} or {"id": 1, "code": 14, "details": "..."}.
A first line {"ready": true} says the channel exists (not that xDS has answered). EOF closes the channel.
"""

import json
import sys
import threading

import grpc

ECHO = "/xdsflare.test.Echo/Who"


def main() -> None:
    channel = grpc.insecure_channel(sys.argv[1])
    # Raw bytes both ways, as the echo servers of the tests speak: the answer is the backend's name.
    who = channel.unary_unary(ECHO, request_serializer=None, response_deserializer=None)
    out = threading.Lock()

    def answer(message: dict) -> None:
        with out:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    def on_done(call_id: int, future: grpc.Future) -> None:
        try:
            answer({"id": call_id, "who": future.result().decode()})
        except grpc.RpcError as err:
            answer({"id": call_id, "code": err.code().value[0], "details": err.details() or ""})

    answer({"ready": True, "grpc": grpc.__version__})
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        metadata = tuple((k, v) for k, v in (req.get("headers") or {}).items())
        future = who.future(b"", timeout=req.get("deadline_ms", 5000) / 1000, metadata=metadata)
        future.add_done_callback(lambda f, call_id=req["id"]: on_done(call_id, f))
    channel.close()


if __name__ == "__main__":
    main()
