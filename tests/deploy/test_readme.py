"""The docs say only what the code does: the README's `<!-- tested -->` blocks run as written
against the build tree; every `tcpkeep SUBCOMMAND --option` in the READMEs' shell blocks and code
spans exists; the sample shim log lines have the shim's format; the install paths are the layout."""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

from deploytest import BUILD_TOOL, EXAMPLES, OPTION, PACKAGE, SOURCE, clean_env, options_in_help, subcommands

BUILD_DIR = os.environ["TCPKEEP_BUILD_DIR"]
SHIM = os.environ["TCPKEEP_SHIM"]
ECHO_DIR = os.environ["TCPKEEP_ECHO_SERVER_DIR"]
DOCS = [os.path.join(SOURCE, "README.md"), os.path.join(SOURCE, "tools", "README.md"), os.path.join(EXAMPLES, "README.md")]


def read(path):
    with open(path) as f:
        return f.read()


def fenced(text, language):
    """(preceding line, body) of every ```language block."""
    return re.findall(r"^([^\n]*)\n```" + language + r"\n(.*?)^```", text, re.M | re.S)


def tool_commands(path):
    """Every `tcpkeep SUBCOMMAND ...` in the shell blocks and code spans of a doc, cut where its
    own arguments end (a `--`, a pipe, a command substitution, a comment, another command)."""
    text = read(path)
    pieces = [body for _, body in fenced(text, "sh")] + re.findall(r"`([^`\n]*tcpkeep [a-z][^`\n]*)`", text)
    found = []
    for piece in pieces:
        for m in re.finditer(r"(?:^|[\s(])tcpkeep ([a-z]+)([^\n#|;&)]*)", piece):
            found.append((m.group(1), re.split(r"\s--\s|\s--$|\$\(", m.group(2))[0]))
    return found


class Readme(unittest.TestCase):
    def test_tested_blocks_run(self):
        blocks = [body for before, body in fenced(read(DOCS[0]), "sh") if before.strip() == "<!-- tested -->"]
        self.assertTrue(blocks)
        # The README's PATH line, and a policy file equal to the embedded default so a system
        # policy on this machine cannot change the outcome.
        env = clean_env(PATH=f"{os.path.dirname(BUILD_TOOL)}:{ECHO_DIR}:{os.environ['PATH']}",
                        TCPKEEP_POLICY=os.path.join(EXAMPLES, "policies", "default.toml"))
        for body in blocks:
            with self.subTest(block=body.splitlines()[0]), tempfile.TemporaryDirectory() as cwd:
                proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", body], env=env, cwd=cwd, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
                try:
                    out, _ = proc.communicate(timeout=60)
                finally:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)  # whatever the block left running
                    except ProcessLookupError:
                        pass
                self.assertEqual(proc.returncode, 0, out)
                self.assertNotIn("MISMATCH", out)

    def test_commands_shown_exist(self):
        known = set(subcommands())
        for path in DOCS:
            commands = tool_commands(path)
            self.assertTrue(commands, path)
            for sub, args in commands:
                with self.subTest(doc=os.path.relpath(path, SOURCE), command=f"tcpkeep {sub}{args}"):
                    self.assertIn(sub, known)
                    self.assertLessEqual(set(OPTION.findall(args)), options_in_help(sub))

    def test_debug_log_sample_has_the_shims_format(self):
        sample = [line for _, body in fenced(read(DOCS[0]), "text") for line in body.splitlines() if line.startswith("tcpkeep[")]
        self.assertEqual(len(sample), 2)
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            env = clean_env(LD_PRELOAD=SHIM, TCPKEEP_LOG="debug", TCPKEEP_POLICY=os.path.join(EXAMPLES, "policies", "databases.toml"))
            client = subprocess.run([sys.executable, "-c", f"import socket; socket.create_connection(('127.0.0.1', {server.getsockname()[1]}))"],
                                    env=env, capture_output=True, text=True, timeout=30)
        def shape(line):  # the parts that differ from run to run
            line = re.sub(r"^tcpkeep\[\d+\]", "tcpkeep[PID]", line)
            line = re.sub(r"policy \S+:", "policy FILE:", line)
            return re.sub(r"fd \d+ outbound \S+ port \d+", "fd FD outbound ADDRESS port PORT", line)
        self.assertEqual([shape(line) for line in sample], [shape(line) for line in client.stderr.splitlines()])

    def test_install_paths_are_the_layout(self):
        text = read(DOCS[0])
        for path in (PACKAGE.tool, PACKAGE.shim, PACKAGE.policy, PACKAGE.docdir + "/examples/"):
            self.assertIn(f"`{path}", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
