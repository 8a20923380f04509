# Runs ARGV in a new pseudo-terminal (its own session, the pty as controlling terminal, one
# foreground process group), waits for "ready" on it, types Ctrl-C, then "end" and prints all the
# output. The terminal's line discipline sends SIGINT to the whole foreground group, as in a shell.
import os, pty, sys

pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

out = b''
def read_until(token):
    global out
    while token not in out:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            return
        if not chunk:
            return
        out += chunk

read_until(b'ready')
os.write(master, b'\x03')
read_until(b'got')
os.write(master, b'end\n')
read_until(b'count')
read_until(b'\n')
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('latin1'))
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
