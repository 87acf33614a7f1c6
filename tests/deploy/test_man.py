"""The installed man pages: groff formats them without a warning, the options they show are exactly
those of the tool's --help (and every subcommand is there), the policy keys tcpkeep-policy(5) lists are
exactly the keys the reader accepts, and its example passes `tcpkeep check` without a warning."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from deploytest import BUILD_TOOL, INSTALL, OPTION, SOURCE, STAGED, clean_env, options_in_help, subcommands

TOOL_PAGE = os.path.join(STAGED.mandir, "man1", "tcpkeep.1")
POLICY_PAGE = os.path.join(STAGED.mandir, "man5", "tcpkeep-policy.5")


def groff(page, *args):
    if shutil.which("groff") is None:
        raise AssertionError("groff is missing (Debian package groff-base)")
    return subprocess.run(["groff", "-man", *args, page], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))


def rendered(page):
    """Plain text, one synopsis per line (wide lines, no hyphenation, no bold or underline)."""
    return groff(page, "-Tascii", "-P-c", "-P-b", "-P-u", "-rLL=250n", "-rHY=0").stdout


def roff_section(text, start, end=r"^\.S[HS] "):
    body = re.split(start, text, flags=re.M)[1]
    return re.split(end, body, maxsplit=1, flags=re.M)[0]


def source(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


def reader_keys():
    """The keys the policy reader accepts (config/policy_keys.h): (the settings keys: each option's
    key in config/option_table.h and the one added after them; a rule's keys: its own and those)."""
    options = re.findall(r'^\s*\{Option::\w+, [^"]*"(\w+)"', source("config", "option_table.h"), re.M)
    keys = source("config", "policy_keys.h")
    settings = set(options) | set(re.findall(r'keys\[option_count\] = "(\w+)"', keys))
    rule_only = set(re.findall(r'"(\w+)"', re.search(r"rule_only\{([^}]*)\}", keys).group(1)))
    return settings, settings | rule_only


class ManPages(unittest.TestCase):
    def test_groff_has_no_warnings(self):
        for page in (TOOL_PAGE, POLICY_PAGE):
            with self.subTest(page=page):
                r = groff(page, "-ww", "-z")
                self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_paths_are_this_installation(self):
        for page in (TOOL_PAGE, POLICY_PAGE):
            with open(page) as f:
                text = f.read()
            self.assertNotIn("@", text.replace("\\(at", ""))  # every @VARIABLE@ was substituted
            self.assertIn(INSTALL.policy, text)

    def test_synopsis_matches_the_tool(self):
        synopsis = roff_section(rendered(TOOL_PAGE), r"^SYNOPSIS$", r"^DESCRIPTION$")
        lines = [line.split() for line in synopsis.strip().splitlines()]
        self.assertEqual([words[1] for words in lines if words[1][0].isalpha()], subcommands())
        for words in lines:
            sub = [words[1]] if words[1][0].isalpha() else []
            with self.subTest(command=" ".join(words[:2])):
                shown = set(OPTION.findall(" ".join(words[1:]))) - {"--"}
                self.assertLessEqual(shown, options_in_help(*sub))

    def test_every_option_mentioned_exists(self):
        known = set().union(options_in_help(), *(options_in_help(s) for s in subcommands()))
        for page in (TOOL_PAGE, POLICY_PAGE):
            mentioned = set(OPTION.findall(rendered(page))) - {"-", "--"}
            mentioned = {m for m in mentioned if not re.fullmatch(r"-[a-z]{2,}.*", m)}  # words after a dash, "dual-stack"
            self.assertLessEqual(mentioned, known, page)

    def test_every_option_is_documented(self):
        page = set(OPTION.findall(rendered(TOOL_PAGE)))
        for sub in subcommands():
            with self.subTest(command=sub):
                self.assertLessEqual(options_in_help(sub) - {"-h", "--help"}, page)

    def test_policy_keys_are_the_readers(self):
        with open(POLICY_PAGE) as f:
            text = f.read()
        def listed(section):
            return set(re.findall(r"^\.TP\n\.B (\w+)", roff_section(text, section), re.M))
        settings = listed(r"^\.SS Settings.*$")
        reader_settings, reader_rule = reader_keys()
        self.assertLessEqual({"keepalive", "user_timeout", "enforce"}, reader_settings)  # the parse found both parts
        self.assertEqual(settings, reader_settings)
        self.assertEqual(settings | listed(r"^\.SS Rule keys$"), reader_rule)

    def test_policy_example_is_valid(self):
        with open(POLICY_PAGE) as f:
            example = roff_section(f.read(), r"^\.EX$", r"^\.EE$").replace("\\-", "-")
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as policy:
            policy.write(example)
            policy.flush()
            r = subprocess.run([BUILD_TOOL, "check", policy.name], capture_output=True, text=True, env=clean_env())
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (0, f"{policy.name}: valid: version 1, 2 rules, [defaults] for unmatched sockets\n", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
