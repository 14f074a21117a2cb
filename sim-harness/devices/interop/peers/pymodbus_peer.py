#!/usr/bin/python3
"""A Modbus TCP client built on Debian's python3-pymodbus, driven by the
interop tests: each action prints one JSON object on stdout.

  sunspec <port> [unit]                 find 'SunS' at 40000, 0, 50000 and walk the model chain
  read <port> <unit> <table> <addr> <n> read holding|input registers or coils|discrete inputs
  write <port> <unit> <addr> <value>    write one holding register (FC6)
"""
import json
import sys

from pymodbus.client import ModbusTcpClient
from pymodbus.pdu import ExceptionResponse


def client(port):
    c = ModbusTcpClient("127.0.0.1", port=int(port), timeout=2, retries=0)
    if not c.connect():
        print(json.dumps({"error": "connect failed"}))
        sys.exit(1)
    return c


def result(r, field):
    if isinstance(r, ExceptionResponse):
        return {"exception": r.exception_code}
    if r.isError():
        return {"error": str(r)}
    return {"values": [int(v) for v in getattr(r, field)]}


def sunspec(port, unit=1):
    c = client(port)
    unit = int(unit)
    base = None
    for b in (40000, 0, 50000):
        r = c.read_holding_registers(b, 2, slave=unit)
        if not r.isError() and r.registers == [0x5375, 0x6E53]:
            base = b
            break
    if base is None:
        return {"error": "no SunS marker"}
    models = []
    addr = base + 2
    while True:
        r = c.read_holding_registers(addr, 2, slave=unit)
        if r.isError():
            return {"error": "chain read failed at %d" % addr}
        mid, length = r.registers
        if mid == 0xFFFF:
            break
        models.append({"id": mid, "length": length, "address": addr})
        addr += 2 + length
    c.close()
    return {"base": base, "models": models, "end": addr}


def read(port, unit, table, addr, n):
    c = client(port)
    unit, addr, n = int(unit), int(addr), int(n)
    if table == "holding":
        out = result(c.read_holding_registers(addr, n, slave=unit), "registers")
    elif table == "input":
        out = result(c.read_input_registers(addr, n, slave=unit), "registers")
    elif table == "coil":
        out = result(c.read_coils(addr, n, slave=unit), "bits")
    else:
        out = result(c.read_discrete_inputs(addr, n, slave=unit), "bits")
    if "values" in out:
        out["values"] = out["values"][:n]
    c.close()
    return out


def write(port, unit, addr, value):
    c = client(port)
    r = c.write_register(int(addr), int(value), slave=int(unit))
    c.close()
    if isinstance(r, ExceptionResponse):
        return {"exception": r.exception_code}
    if r.isError():
        return {"error": str(r)}
    return {"ok": True}


if __name__ == "__main__":
    action, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"sunspec": sunspec, "read": read, "write": write}[action](*args)))
