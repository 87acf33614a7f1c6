"""Whom a policy file trusts (system/policy_trust.h): a program obeys a policy only when nobody but
root and its own user can change what it reads. Whoever else could edit it could cut every
connection (user_timeout = "1ms"). Real files under a fresh directory, real owners (root, nobody,
a uid nobody has) and modes; `tcpkeep check` and a real program under the shim, as root and as
nobody. A refused file is asserted like any bad policy (bad_policy.py) except that check exits 1:
the file is readable, the policy is refused."""
import os
import re
import struct
import subprocess
import unittest

from bad_policy import AS_ROOT, Expected, as_nobody, assert_fail_open
from staging import staged_for
from tcpkeep_test import KERNEL_DEFAULTS, Listener, main, parse_values, preload_with, require_root, shim_env

NOBODY = 65534
USERS_GID = 100  # Debian's "users": a group many may share
STRANGER = 4321  # a uid no account has
ACL_UNDEFINED = 0xFFFFFFFF  # the id of an ACL entry that names nobody
POLICY = 'version = 1\n[defaults]\nkeepalive = true\nidle = "33s"\n'
APPLIED = {**KERNEL_DEFAULTS, "ka": 1, "idle": 33}


def writable_by_everyone(path, mode):
    return f"policy refused: {path} is writable by every user (mode {mode}); fix: chmod go-w {path}"


def not_trusted_owner(path, owner, user, link=False):
    return (f"policy refused: {path} is owned by uid {owner}, not by root or the program's user (uid {user}); "
            f"fix: chown {'-h ' if link else ''}root {path}")


class Trust(unittest.TestCase):
    def setUp(self):
        require_root(self)  # other owners, and nobody running the shim
        self.staged = staged_for(self)  # a fresh directory every user can reach: root's, mode 0755
        self.nobody = None

    def as_nobody(self):
        if self.nobody is None:
            self.nobody = as_nobody(self)
        return self.nobody

    def directory(self, name, mode, owner=0, group=0):
        path = self.staged.subdir(name)
        os.chown(path, owner, group)
        os.chmod(path, mode)
        return path

    def policy(self, directory, mode=0o644, owner=0, group=0, name="policy.toml"):
        path = os.path.join(directory, name)
        with open(path, "w") as f:
            f.write(POLICY)
        os.chown(path, owner, group)
        os.chmod(path, mode)
        return path

    def check(self, path, how=AS_ROOT, cwd=None):
        r = subprocess.run([*how.prefix, how.tool, "check", path], capture_output=True, text=True, timeout=30, cwd=cwd)
        return r.returncode, r.stdout, r.stderr

    def probe(self, path, how=AS_ROOT):
        """sockprobe under the shim, logging at info: (socket values, the shim's stderr)."""
        with Listener() as l:
            r = subprocess.run([*how.prefix, how.sockprobe, "socket", "inet", "stream", "connect", "127.0.0.1", str(l.port), "show"],
                               env=shim_env(path, log="info", LD_PRELOAD=preload_with(how.shim)),
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse_values(r.stdout.splitlines()[-1]), r.stderr

    def assert_refused(self, path, message, how=AS_ROOT):
        """check: exit 1 with the message as an error; the shim: the same message, sockets untouched."""
        self.assertEqual(self.check(path, how), (1, f"{path}: error: {message}\n{path}: invalid: 1 error\n", ""))
        assert_fail_open(self, path, Expected(message), how)

    def assert_obeyed(self, path, how=AS_ROOT):
        code, out, err = self.check(path, how)
        self.assertEqual((code, out.splitlines()[0], err),
                         (0, f"{path}: valid: version 1, 0 rules, [defaults] for unmatched sockets", ""))
        values, stderr = self.probe(path, how)
        self.assertEqual(values, APPLIED)
        self.assertRegex(stderr, rf"^tcpkeep\[\d+\]: policy {re.escape(path)}: 0 active rules\n$")

    # Refused.

    def test_world_writable_file(self):
        path = self.policy(self.staged.dir, 0o666)
        self.assert_refused(path, writable_by_everyone(path, "0666"))

    def test_file_group_writable_by_a_shared_group(self):
        path = self.policy(self.staged.dir, 0o664, group=USERS_GID)
        self.assert_refused(path, f"policy refused: {path} is writable by group users (gid {USERS_GID}), not its owner's "
                                  f"private group (mode 0664); fix: chmod go-w {path}")

    def test_group_writable_by_a_private_group_with_an_acl_naming_another_user(self):
        path = self.policy(self.staged.dir, 0o664)
        # user::rw- user:STRANGER:rw- group::rw- mask::rw- other::r--, as setfacl would write it
        entries = ((0x01, 6, ACL_UNDEFINED), (0x02, 6, STRANGER), (0x04, 6, ACL_UNDEFINED), (0x10, 6, ACL_UNDEFINED),
                   (0x20, 4, ACL_UNDEFINED))
        os.setxattr(path, "system.posix_acl_access", struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries))
        self.assert_refused(path, f"policy refused: {path} is group-writable with an access ACL, which lets the users and "
                                  f"groups it names write it (mode 0664); fix: chmod go-w {path}")

    def test_own_file_group_writable_by_a_primary_group_named_otherwise(self):
        # nobody's primary group is nogroup: other users may share it, so it is no private group.
        mine = self.directory("nobody", 0o755, NOBODY, NOBODY)
        path = self.policy(mine, 0o664, NOBODY, NOBODY)
        self.assert_refused(path, f"policy refused: {path} is writable by group nogroup (gid {NOBODY}), not its owner's "
                                  f"private group (mode 0664); fix: chmod go-w {path}", self.as_nobody())

    def test_directory_others_may_write_without_the_sticky_bit(self):
        shared = self.directory("shared", 0o777)
        self.assert_refused(self.policy(shared),
                            f"policy refused: {shared} is writable by every user (mode 0777, no sticky bit); fix: chmod go-w {shared}")
        group = self.directory("group", 0o775, group=USERS_GID)
        self.assert_refused(self.policy(group), f"policy refused: {group} is writable by group users (gid {USERS_GID}), not its "
                                                f"owner's private group (mode 0775, no sticky bit); fix: chmod go-w {group}")

    def test_another_users_file_in_a_sticky_directory(self):
        # /tmp-like: the sticky bit stops others from replacing nobody's file, not nobody.
        path = self.policy(self.directory("tmp", 0o1777), owner=NOBODY, group=NOBODY)
        self.assert_refused(path, not_trusted_owner(path, NOBODY, 0))

    def test_another_users_link_in_a_sticky_directory(self):
        target = self.policy(self.staged.dir)
        link = os.path.join(self.directory("tmp", 0o1777), "policy.toml")
        os.symlink(target, link)
        os.lchown(link, NOBODY, NOBODY)  # nobody may replace the link with one to a policy of its own
        self.assert_refused(link, not_trusted_owner(link, NOBODY, 0, link=True))

    def test_file_of_another_non_root_user(self):
        path = self.policy(self.staged.dir, owner=STRANGER, group=STRANGER)
        self.assert_refused(path, not_trusted_owner(path, STRANGER, NOBODY), self.as_nobody())
        mine = self.directory("nobody", 0o755, NOBODY, NOBODY)  # and root trusts no file of nobody's
        path = self.policy(mine, owner=NOBODY, group=NOBODY)
        self.assert_refused(path, not_trusted_owner(mine, NOBODY, 0))

    def test_a_link_leads_to_the_path_at_fault(self):
        shared = self.directory("shared", 0o777)
        path = self.policy(shared)
        link = os.path.join(self.staged.dir, "link.toml")
        os.symlink(path, link)
        self.assert_refused(link, f"policy refused: {shared} is writable by every user (mode 0777, no sticky bit); "
                                  f"fix: chmod go-w {shared}")

    def test_relative_path_judges_the_working_directory(self):
        shared = self.directory("shared", 0o777)
        self.policy(shared)
        self.assertEqual(self.check("policy.toml", cwd=shared),
                         (1, f"policy.toml: error: policy refused: {shared} is writable by every user (mode 0777, no sticky bit); "
                             f"fix: chmod go-w {shared}\npolicy.toml: invalid: 1 error\n", ""))

    def test_through_proc_the_kernels_links_are_followed_and_the_rest_judged(self):
        # /proc/self and /proc/PID/root are the kernel's links; what follows them is held to the rule.
        path = self.policy(self.staged.dir, 0o666)
        via_proc = "/proc/self/root" + path
        self.assert_refused(via_proc, writable_by_everyone(f"/proc/self/root{path}", "0666"))
        os.chmod(path, 0o644)
        self.assert_obeyed(via_proc)

    # Obeyed.

    def test_root_owned_file_nobody_else_may_write(self):
        path = self.policy(self.staged.dir, 0o644)
        self.assert_obeyed(path)
        self.assert_obeyed(path, self.as_nobody())  # root's files are trusted by every user

    def test_group_writable_by_the_owners_private_group(self):
        # root:root: root's primary group, named root, no other member.
        self.assert_obeyed(self.policy(self.staged.dir, 0o664))

    def test_own_file_in_a_sticky_directory(self):
        tmp = self.directory("tmp", 0o1777)
        self.assert_obeyed(self.policy(tmp, owner=NOBODY, group=NOBODY, name="nobody.toml"), self.as_nobody())
        self.assert_obeyed(self.policy(tmp, name="root.toml"))

    def test_untrusted_compiled_form_is_ignored(self):
        path = self.policy(self.staged.dir)
        compiled = path + ".compiled"
        r = subprocess.run([AS_ROOT.tool, "check", "--compile", path], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        values, stderr = self.probe(path)
        self.assertEqual(values, APPLIED)
        self.assertRegex(stderr, rf"^tcpkeep\[\d+\]: policy {re.escape(path)} \(compiled form\): 0 active rules\n$")
        os.chmod(compiled, 0o666)  # anyone could now forge it for this very text
        values, stderr = self.probe(path)
        self.assertEqual(values, APPLIED)
        self.assertRegex(stderr, rf"^tcpkeep\[\d+\]: policy {re.escape(path)}: 0 active rules\n$")  # the text, parsed
        code, out, err = self.check(path)
        self.assertEqual((code, out.splitlines()[1:], err),
                         (0, [f"{compiled}: untrusted: the shim ignores it and parses {path}; "
                              f"{writable_by_everyone(compiled, '0666')}"], ""))


if __name__ == "__main__":
    main()
