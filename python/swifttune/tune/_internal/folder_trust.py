"""What ``Tuner.restore`` trusts: an experiment folder is code. Restoring unpickles files of it
(the Tuner's ``tuner.pkl``, a searcher's, scheduler's, stoppers' and callbacks' states, trials'
``error.pkl``, class trainables' checkpoints), as Ray's ``Tuner.restore`` does, and unpickling runs
whatever the file says. So before it reads anything, restore refuses a folder that another user
could have written: any folder or file in it writable by every user, or by a group that has
members besides its owner, or owned by another user than the one restoring (the superuser's own
files excepted).

This does not make an untrusted folder safe; it refuses the folders whose contents this user
cannot vouch for. The folder above the experiment (the storage path) is the user's to keep: one
writable by others lets them replace the experiment folder itself."""
from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Optional

__all__ = ["check_trusted"]


def check_trusted(folder: Path) -> None:
    """Raises ``PermissionError`` naming the first entry of `folder` (itself included) that another
    user could have written."""
    me = os.geteuid()
    for root, _subfolders, files in os.walk(folder):  # each subfolder is a root of the walk in turn
        for path in (Path(root), *(Path(root, name) for name in files)):
            try:
                st = os.lstat(path)
            except FileNotFoundError:  # removed while walking (a live experiment)
                continue
            if stat.S_ISLNK(st.st_mode):
                continue  # its target is what is opened; os.walk does not follow links into folders
            reason = _writable_by_others(st, me)
            if reason is not None:
                raise PermissionError(
                    f"Tuner.restore refuses {folder}: {path} {reason}. Restoring unpickles files of the experiment "
                    "folder (as Ray does), which runs code they hold, so the folder must be one no other user "
                    f"can write. If you trust its contents, make it yours alone (chown -R $USER {folder}; "
                    f"chmod -R go-w {folder}) and restore again.")


def _writable_by_others(st: os.stat_result, me: int) -> Optional[str]:
    if st.st_mode & stat.S_IWOTH:
        return "is writable by every user"
    if st.st_uid not in (me, 0):
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & stat.S_IWGRP and not _private_group(st.st_gid, st.st_uid):
        return f"is writable by its group (gid {st.st_gid}), which has other members"
    return None


@lru_cache(maxsize=64)
def _private_group(gid: int, uid: int) -> bool:
    """Whether only the user `uid` can be a member of group `gid` (a user's own group, as Debian
    gives each user): no listed members but that user, and no other user's primary group."""
    import grp
    import pwd

    try:
        group = grp.getgrgid(gid)
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        return False
    if any(member != owner for member in group.gr_mem):
        return False
    return all(p.pw_uid == uid for p in pwd.getpwall() if p.pw_gid == gid)
