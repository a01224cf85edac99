// PID 1 duties, when bulwark is /init of the image: the console on fds 0-2,
// /proc, /sys, /dev (devtmpfs), /dev/pts, /run and /tmp mounted, the host
// name set, the board's kernel modules loaded (dependencies from modules.dep,
// finit_module), the data partition mounted at /data, then the core
// (runCore) with the board named by `bulwark.board=` on the kernel command
// line. In a namespace (tests: unshare --pid --mount --net --fork) the
// environment may name the board (BULWARK_BOARD), a data directory to use
// instead of the data partition (BULWARK_DATA_DIR) and a services file
// (BULWARK_SERVICES) and where HTTPS listens (BULWARK_LISTEN); the machine's console and the caller's /tmp are then
// left alone. A fatal signal writes one line, syncs and reboots instead of
// panicking the kernel. When the core stops: SIGTERM or SIGUSR2 (or the
// power button, power_button.hpp) power off,
// SIGINT (Ctrl-Alt-Del) reboots; processes are ended, /data is unmounted.
// The board's hardware watchdog is armed and kicked by the core
// (watchdog.hpp); it stays armed through the shutdown and is disarmed just
// before a power-off, not before a reboot.
// Never returns.
#pragma once

namespace bulwark::init {

[[noreturn]] int runAsPid1();

}  // namespace bulwark::init
