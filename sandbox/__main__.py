"""`python -m sandbox --port N`: the local Bot API stand-in, alone, to drive `entbot run` by hand."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from sandbox.server import SandboxServer


async def _serve(host: str, port: int, token: str | None) -> None:
    server = SandboxServer(host, port, token)
    await server.start()
    print(f"Bac à sable Bot API prêt : TELEGRAM_API_URL={server.api_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Bac à sable de l'API Bot de Telegram")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="n'accepter que ce jeton (par défaut : tous)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.token))


if __name__ == "__main__":
    main()
