#!/usr/bin/env python3
"""A minimal NTP server for the tests (a test peer, not part of the
appliance): answers client requests (mode 3) on ADDRESS:PORT (default
127.0.0.1) with a stratum-2 reply whose clock runs AHEAD seconds ahead of
this machine's, so a test can see the appliance step its clock.
Usage: ntp_server.py PORT AHEAD [ADDRESS]"""
import socket
import struct
import sys
import time

NTP_EPOCH = 2208988800


def ntp_time(t):
    seconds = int(t)
    fraction = int((t - seconds) * (1 << 32)) & 0xFFFFFFFF
    return ((seconds + NTP_EPOCH) & 0xFFFFFFFF) << 32 | fraction


def main():
    port, ahead = int(sys.argv[1]), float(sys.argv[2])
    address = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((address, port))
    while True:
        data, peer = sock.recvfrom(512)
        received = time.time() + ahead
        if len(data) < 48 or data[0] & 7 != 3:
            continue
        origin = data[40:48]
        reply = struct.pack("!BBbb", 0 << 6 | 4 << 3 | 4, 2, 6, -20)
        reply += struct.pack("!II", 0x00000400, 0x00000200)  # root delay, dispersion
        reply += bytes([192, 0, 2, 1])  # reference id
        reply += struct.pack("!Q", ntp_time(received - 10))  # reference time
        reply += origin
        reply += struct.pack("!QQ", ntp_time(received), ntp_time(time.time() + ahead))
        sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
