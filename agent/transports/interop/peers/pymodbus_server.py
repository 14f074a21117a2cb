#!/usr/bin/python3
"""A Modbus server built on Debian's python3-pymodbus, for the agent's interop tests.

Serves register images (JSON: {"units": {"<id>": {"hr": {"<addr>": word}, "ir": {...},
"di": {"<addr>": 0|1}, "co": {...}}}}) over TCP or RTU on a serial port, and
prints "ready" once it listens. Plain datastore: writes are stored and read back.
"""
import argparse
import asyncio
import json
import sys

from pymodbus.datastore import ModbusServerContext, ModbusSlaveContext, ModbusSparseDataBlock
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer
from pymodbus.transaction import ModbusRtuFramer, ModbusSocketFramer


def block(table):
    values = {int(a): int(v) for a, v in (table or {}).items()}
    # A sparse block answers exception 2 for addresses it does not hold, as a real device would.
    return ModbusSparseDataBlock(values or {0: 0})


def context(image):
    slaves = {}
    for unit, tables in image["units"].items():
        slaves[int(unit)] = ModbusSlaveContext(
            di=block(tables.get("di")), co=block(tables.get("co")),
            hr=block(tables.get("hr")), ir=block(tables.get("ir")), zero_mode=True)
    return ModbusServerContext(slaves=slaves, single=False)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--image", required=True)
    p.add_argument("--tcp", type=int)
    p.add_argument("--rtu")
    p.add_argument("--baud", type=int, default=19200)
    p.add_argument("--parity", default="E")
    a = p.parse_args()
    with open(a.image) as f:
        ctx = context(json.load(f))
    if a.tcp is not None:
        server = ModbusTcpServer(ctx, ModbusSocketFramer, None, ("127.0.0.1", a.tcp))
        task = asyncio.create_task(server.serve_forever())
    else:
        server = ModbusSerialServer(ctx, ModbusRtuFramer, port=a.rtu, baudrate=a.baud,
                                    parity=a.parity, bytesize=8, stopbits=1, timeout=0.05)
        task = asyncio.create_task(server.start())
    await asyncio.sleep(0.5)
    print("ready", flush=True)
    await asyncio.Event().wait()
    task.cancel()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
