"""A real IMAP server for the poller's tests: Debian's dovecot, on a loopback port,
with a throwaway configuration, one user and Maildir folders in a temporary folder."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "stories", "a-mailbox-password"


@dataclass(frozen=True)
class Dovecot:
    port: int
    folder: Path

    def url(self, mailbox: str = "INBOX", password: str = PASSWORD) -> str:
        return f"imap://{USER}:{password}@127.0.0.1:{self.port}/{mailbox}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def dovecot() -> Iterator[Dovecot]:
    """Run dovecot until the block ends; fail (never skip) when it is missing.

    Dovecot never reads mail as root, so the mailboxes belong to its own system
    user, in a folder of their own that user can reach.
    """
    assert DOVECOT.exists(), "dovecot is missing: run `make system-deps`"
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-dovecot-"))
    folder.chmod(0o755)
    mail_user = pwd.getpwnam("dovecot")
    uid, gid = mail_user.pw_uid, mail_user.pw_gid
    for sub in ("run", "state", "mail", "home"):
        (folder / sub).mkdir(exist_ok=True)
    for sub in ("mail", "home"):
        os.chown(folder / sub, uid, gid)
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    config = folder / "dovecot.conf"
    config.write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{folder}/mail/%u
first_valid_uid = 0
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# The test's folders belong to whoever runs the tests (root in CI): the processes
# reading them run as that user too.
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
""",
        encoding="utf-8",
    )
    output = (folder / "output.log").open("wb")
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(config)],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                log = (
                    (folder / "dovecot.log").read_text(errors="replace")
                    if (folder / "dovecot.log").exists()
                    else ""
                )
                output = (
                    process.stdout.read().decode(errors="replace")
                    if process.stdout
                    else ""
                )
                raise AssertionError(f"dovecot stopped at start:\n{output}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("dovecot did not listen within 20 s") from None
                time.sleep(0.1)
        yield Dovecot(port=port, folder=folder)
    finally:
        output.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
