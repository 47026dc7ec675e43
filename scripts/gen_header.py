#!/usr/bin/env python3
"""Generate the C boundary's three derived files from its one source.

The source is the Swift code of the C boundary (Sources/CSwiftTune: every `@c` function and enum
with its doc comment) and the top-level VERSION file. From them this script writes:

- include/swifttune.h: the C header. The Swift compiler writes the declarations
  (`swiftc -typecheck -emit-clang-header-path`); its header also carries Objective-C and C++
  interop scaffolding that plain C compilers warn about, so only the declarations are kept, in a
  small, portable header grouped by handle in lifecycle order (new, use, save/restore, free), as
  sqlite3.h is (the order is SECTIONS below: a function or enum missing from it is an error):
  `void *` handle parameters become typed opaque handles (`st_space *space`), recognised by the
  parameter's name; the objective callback becomes the `st_objective` typedef; `SWIFT_ENUM`
  blocks become plain C enums; nullability qualifiers and Swift's macros are dropped (nullability
  is in the docs); DocC markup becomes plain text; the version macros come from VERSION.
- python/swifttune/_capi.py: the same declarations for ctypes: the version, every enum value as a
  named constant (with a value -> name table per enum), and every function's restype and argtypes.
- Sources/CSwiftTune/Version.swift: the version as Swift constants (`st_version()` returns it).

Usage: gen_header.py SWIFTC MODULES_DIR HEADER [--capi PATH] [--version-swift PATH] [--check]
With --check nothing is written: each file is generated into memory and compared with the one on
disk; a difference is an error (the committed file is stale: run `make header`).
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

HANDLES = ["space", "searcher", "scheduler", "experiment", "reporter", "optuna", "journal"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_FILE = os.path.join(ROOT, "VERSION")

# The header's sections, in order: (title, what it says, the enums and functions in it, in order).
SECTIONS = [
    ("Version, errors and memory",
     "The library's version (also as the ST_VERSION macros above), the thread's last error message, "
     "and st_free for every string the library hands over.",
     ["st_version", "st_version_number", "st_status", "st_last_error", "st_free"]),
    ("Search spaces: st_space",
     "A validated search space (docs/space-format.md): read from JSON, written back, freed.",
     ["st_space_from_json", "st_space_parameter_count", "st_space_to_json", "st_space_free"]),
    ("Searchers: st_searcher",
     "Random search or TPE behind its concurrency limiter: built from a JSON specification, asked "
     "for configurations, told outcomes, saved and restored, freed.",
     ["st_outcome", "st_searcher_new", "st_searcher_suggest", "st_searcher_suggest_with_assignment",
      "st_searcher_tell", "st_searcher_observe", "st_searcher_add_evaluated", "st_searcher_save", "st_searcher_restore", "st_searcher_free"]),
    ("Schedulers: st_scheduler",
     "FIFO, ASHA, the median stopping rule, or a scheduler of the caller's (called back through "
     "st_experiment_set_scheduler), built from a JSON specification; an experiment takes a copy.",
     ["st_scheduler_new", "st_scheduler_free"]),
    ("Experiments: st_experiment",
     "The engine: trials, searcher, scheduler, stop rules. Built with st_experiment_new; driven "
     "either by the caller (st_experiment_next, st_experiment_report, st_experiment_finish) or by "
     "st_experiment_run's own threads; read (st_experiment_trial, st_experiment_trials, "
     "st_experiment_best_trial); saved and restored; freed.",
     ["st_next_action", "st_decision", "st_trial_end", "st_trial_status", "st_metric_status", "st_stop_query",
      "st_search_query", "st_search_answer", "st_schedule_query",
      "st_experiment_new", "st_experiment_set_stopper", "st_experiment_set_searcher", "st_experiment_set_scheduler",
      "st_experiment_next", "st_experiment_report",
      "st_experiment_attach_checkpoint", "st_experiment_finish",
      "st_experiment_run", "st_experiment_trial", "st_experiment_trials", "st_experiment_trial_summaries", "st_experiment_take_stopped", "st_experiment_take_exploits", "st_experiment_best_trial", "st_experiment_max_running",
      "st_experiment_save", "st_experiment_restore", "st_experiment_resume", "st_experiment_free"]),
    ("Reporters: st_reporter",
     "What an st_experiment_run objective reports through; the library owns it (no free).",
     ["st_reporter_checkpoint", "st_reporter_report", "st_reporter_fail"]),
    ("Optuna studies: st_optuna",
     "Optuna's TPE (docs/tpe-optuna.md) for an Optuna study of the caller's (swifttune.optuna.TPESampler): "
     "parameters registered as slots, the study's trials mirrored as they change, and Optuna's three "
     "questions answered with plain numbers (the relative search space, a relative sample, an "
     "independent sample).",
     ["st_optuna_trial_state", "st_optuna_function", "st_optuna_new", "st_optuna_slot", "st_optuna_set_trial",
      "st_optuna_set_trial_values", "st_optuna_set_functions", "st_optuna_relative_space",
      "st_optuna_sample_relative", "st_optuna_sample_independent", "st_optuna_free"]),
    ("TensorBoard event files",
     "A trial's results as TensorBoard events, the way Ray Tune's TBXLoggerCallback writes them: "
     "the file started, results appended in batches, the hparams summaries at the trial's end.",
     ["st_tfevents_start", "st_tfevents_append_results", "st_tfevents_append_hparams", "st_tfevents_write_batch"]),
    ("Experiment state on disk: st_journal",
     "An experiment's state as a snapshot file and an append-only journal of its changes beside it: "
     "making a change durable costs what changed, not the experiment (docs/reliability.md).",
     ["st_journal_new", "st_journal_compact", "st_journal_append", "st_journal_load", "st_journal_free"]),
    ("Trial files",
     "A trial's results in all its files at once, the way Ray Tune writes them: result.json, "
     "progress.csv (as Python's csv module writes it) and the TensorBoard event file, in batches.",
     ["st_trial_files_write_batch"]),
]

PREAMBLE = """\
/*
 * swifttune.h: the C API of libswifttune, swifttune's hyperparameter-tuning engine.
 *
 * GENERATED by scripts/gen_header.py from the Swift sources in Sources/CSwiftTune and the VERSION
 * file (`make header`); do not edit.
 *
 * Conventions (see README.md, "Using it from C"):
 * - Every function that can fail returns an int status: ST_OK (0) or an st_status error code,
 *   with a message from st_last_error() (thread-local, owned by the library).
 * - Handles (st_space, st_searcher, st_scheduler, st_experiment) are opaque, created by a
 *   *_new / *_from_json / *_restore function into an out-pointer and released with the matching
 *   *_free function (NULL is ignored). Every handle may be used from several threads at once.
 * - Strings returned through out-pointers (JSON, trial ids) belong to the caller: free them with
 *   st_free. On error every out-pointer is set to NULL.
 * - Structured data crosses as UTF-8 JSON (docs/space-format.md); the report hot path takes
 *   plain arrays of metric names and doubles.
 * - Pointer arguments may be NULL only where a function's comment says so; a NULL where it is
 *   required gives ST_INVALID_ARGUMENT, never a crash.
 */
#ifndef SWIFTTUNE_H
#define SWIFTTUNE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The version of this header, from the VERSION file. st_version() and st_version_number() give
 * the library's: a program can check that it runs against the library it was compiled with
 * (ST_VERSION_NUMBER is MAJOR * 1000000 + MINOR * 1000 + PATCH, as SQLITE_VERSION_NUMBER).
 */
#define ST_VERSION "{version}"
#define ST_VERSION_MAJOR {major}
#define ST_VERSION_MINOR {minor}
#define ST_VERSION_PATCH {patch}
#define ST_VERSION_NUMBER {number}

/** A validated search space. */
typedef struct st_space st_space;
/** A searcher (random search or TPE) behind its concurrency limiter. */
typedef struct st_searcher st_searcher;
/** A trial scheduler (FIFO, ASHA, median stopping rule). */
typedef struct st_scheduler st_scheduler;
/** The experiment engine: trials, searcher, scheduler, stop rules. */
typedef struct st_experiment st_experiment;
/** What an st_experiment_run objective reports through; valid until st_experiment_run returns. */
typedef struct st_reporter st_reporter;
/** Optuna's TPE over a study whose parameters appear as its trials ask for them. */
typedef struct st_optuna st_optuna;
/** An experiment's state file with its append-only journal of changes. */
typedef struct st_journal st_journal;

/**
 * The objective given to st_experiment_run: called with the trial's id and its configuration JSON
 * (both valid during the call only), a reporter to report through, and the caller's user_data.
 * Return 0 when the trial ran to its end or stopped because a report said so; non-zero when it
 * failed (st_reporter_fail sets the message).
 */
typedef int32_t (*st_objective)(const char *trial_id, const char *config_json, st_reporter *reporter, void *user_data);

/**
 * A stopper of the caller's, given to st_experiment_set_stopper: called with the id of the
 * configuration's {"type": "callback", "id": N} stopper asked, the st_stop_query, and for
 * ST_STOP_TRIAL the trial's id and the result the engine just recorded (count names and values,
 * training_iteration and time_total_s included; done = 1 for the last result of a trial whose
 * objective returned); for ST_STOP_ALL trial_id, names and values are NULL and count is 0 (all
 * valid during the call only). Set *out_stop non-zero to stop and return 0; a non-zero return
 * means the stopper failed (the call that asked then fails with ST_ERROR).
 */
typedef int32_t (*st_stopper_fn)(int32_t stopper_id, int32_t query, const char *trial_id, const char *const *names,
                                 const double *values, int32_t count, int32_t *out_stop, void *user_data);

/**
 * A searcher of the caller's, given to st_experiment_set_searcher: called with the id of the
 * searcher specification's {"algorithm": "callback", "id": N}, the st_search_query and the trial's
 * id. For ST_SEARCH_SUGGEST set *out_answer to an st_search_answer and, with ST_SEARCH_CONFIG,
 * *out_config_json to the configuration (a JSON object) in memory of the caller's that stays
 * valid until the callback is next called (the engine copies it); names and values are NULL and
 * count is 0. For ST_SEARCH_RESULT names, values and count are the result the engine recorded
 * (training_iteration and time_total_s included) and out_answer and out_config_json are NULL. For
 * ST_SEARCH_COMPLETE errored is non-zero when the trial ended in an error, and for the primary trial
 * of a Repeater's group count is 1 and values[0] the mean of the group's metric values (NaN when
 * none; names NULL), else count is 0. Everything handed in
 * is valid during the call only. Return 0; a non-zero return means the searcher failed (the call
 * that asked then fails with ST_ERROR).
 */
typedef int32_t (*st_searcher_fn)(int32_t searcher_id, int32_t query, const char *trial_id, const char *const *names,
                                  const double *values, int32_t count, int32_t errored, int32_t *out_answer,
                                  const char **out_config_json, void *user_data);

/**
 * A scheduler of the caller's, given to st_experiment_set_scheduler: called with the id of the
 * scheduler specification's {"type": "callback", "id": N}, the st_schedule_query, the trial's id
 * (NULL for ST_SCHEDULE_CHOOSE), count names and values (the result the engine recorded for
 * ST_SCHEDULE_RESULT and ST_SCHEDULE_COMPLETE, training_iteration and time_total_s included; the
 * waiting trials' ids and st_trial_status for ST_SCHEDULE_CHOOSE; else NULL, NULL and 0) and text
 * (for ST_SCHEDULE_ADD the JSON {"number": N, "configuration": {...}}, else NULL). The answers:
 * *out_decision, an st_decision, for ST_SCHEDULE_RESULT (ST_CONTINUE unless set); *out_trial_id
 * for ST_SCHEDULE_CHOOSE, one of names or a string of the caller's valid until its next call
 * (NULL unless set: none chosen), and for ST_SCHEDULE_EXPLORE the new configuration's JSON text
 * (text is then {"configuration", "samples", "custom"}); both are NULL for the other queries. Everything handed in is
 * valid during the call only. Return 0; a non-zero return means the scheduler failed (the call
 * that asked then fails with ST_ERROR).
 */
typedef int32_t (*st_scheduler_fn)(int32_t scheduler_id, int32_t query, const char *trial_id, const char *const *names,
                                   const double *values, int32_t count, const char *text, int32_t *out_decision,
                                   const char **out_trial_id, void *user_data);

/**
 * A gamma or weights function of the caller's, given to st_optuna_set_functions (Optuna's
 * TPESampler(gamma=..., weights=...)): asked with an st_optuna_function, n, and out (room for one
 * number for ST_OPTUNA_GAMMA, n for ST_OPTUNA_WEIGHTS), called during a sampling call of the
 * same handle, on its thread. Return 0; a non-zero return means the function failed (the sampling
 * call then fails with ST_ERROR).
 */
typedef int32_t (*st_optuna_fn)(int32_t function, int64_t n, double *out, void *user_data);
"""

POSTAMBLE = """
#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SWIFTTUNE_H */
"""


# ---------------------------------------------------------------------------------------------
# The version


def read_version():
    with open(VERSION_FILE, encoding="utf-8") as f:
        text = f.read().strip()
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    if not m:
        raise SystemExit(f"{VERSION_FILE}: expected MAJOR.MINOR.PATCH, got {text!r}")
    major, minor, patch = (int(g) for g in m.groups())
    if minor > 999 or patch > 999:
        raise SystemExit(f"{VERSION_FILE}: minor and patch must be below 1000 (ST_VERSION_NUMBER)")
    return {"version": text, "major": major, "minor": minor, "patch": patch,
            "number": major * 1000000 + minor * 1000 + patch}


def version_swift(v):
    return f"""\
// GENERATED by scripts/gen_header.py from the VERSION file (`make header`); do not edit.

/// The library's version, "MAJOR.MINOR.PATCH" (`st_version()`; the header's `ST_VERSION`).
public let swiftTuneVersion = "{v['version']}"

/// The library's version as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH
/// (`st_version_number()`; the header's `ST_VERSION_NUMBER`).
public let swiftTuneVersionNumber: Int32 = {v['number']}
"""


# ---------------------------------------------------------------------------------------------
# Reading the Swift compiler's header


def raw_header(swiftc, modules):
    sources = sorted(glob.glob(os.path.join(ROOT, "Sources/CSwiftTune/*.swift")))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "raw.h")
        subprocess.run([swiftc, "-parse-as-library", "-typecheck", "-module-name", "CSwiftTune", "-I", modules,
                        *sources, "-emit-clang-header-path", out], check=True)
        with open(out, encoding="utf-8") as f:
            return f.read()


def clean_doc(line):
    text = line.strip()[3:].strip()
    text = re.sub(r"</?code>", "", text)
    text = (text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
            .replace("\u201d", '"').replace("\u2014", "-").replace("\u2013", "-").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))
    if any(ord(c) > 126 for c in text):
        raise SystemExit(f"non-ASCII character left in a doc comment: {text!r}")
    return text


def c_type(words):
    """The canonical C spelling of a type given as words and '*' ("char const * const *" ->
    "const char *const *")."""
    groups = [[]]
    for w in words:
        if w == "*":
            groups.append([])
        else:
            groups[-1].append(w)
    base_words = groups[0]
    base = " ".join(w for w in base_words if w != "const")
    if "const" in base_words:
        base = "const " + base
    if len(groups) == 1:
        return base
    stars = ""
    for g in groups[1:]:
        stars += "*" + ("const " if "const" in g else "")
    return base + " " + stars.rstrip()


def parse_function(decl):
    """(return type, name, [(type, name)]) of a declaration of the Swift compiler's header."""
    decl = decl.replace(" SWIFT_NOEXCEPT", "").replace(" SWIFT_WARN_UNUSED_RESULT", "").rstrip(";")
    decl = re.sub(r"int32_t \(\* _Nullable objective\)\([^)]*\)", "st_objective objective", decl)
    decl = re.sub(r"int32_t \(\* _Nullable stopper\)\([^)]*\)", "st_stopper_fn stopper", decl)
    decl = re.sub(r"int32_t \(\* _Nullable searcher\)\([^)]*\)", "st_searcher_fn searcher", decl)
    decl = re.sub(r"int32_t \(\* _Nullable scheduler\)\([^)]*\)", "st_scheduler_fn scheduler", decl)
    decl = re.sub(r"int32_t \(\* _Nullable fn\)\([^)]*\)", "st_optuna_fn fn", decl)
    for h in HANDLES:
        decl = re.sub(rf"void \* _Nullable \* _Nullable (out_{h})\b", rf"st_{h} * * \1", decl)
        decl = re.sub(rf"void \* _Nullable ({h})\b", rf"st_{h} * \1", decl)
    decl = decl.replace(" _Nullable", "").replace(" _Nonnull", "")
    m = re.fullmatch(r"(.+?)\b(st_\w+)\((.*)\)", decl)
    if not m:
        raise SystemExit(f"cannot read the declaration: {decl}")
    ret = c_type(re.findall(r"\w+|\*", m.group(1)))
    params = []
    if m.group(3) != "void":
        for p in m.group(3).split(","):
            words = re.findall(r"\w+|\*", p)
            name, type_ = words[-1], c_type(words[:-1])
            if type_ == "void *" and name not in ("user_data", "p"):
                raise SystemExit(f"an untyped pointer is left in: {decl}")
            params.append((type_, name))
    return ret, m.group(2), params


def parse(raw):
    """The enums {name: (doc, [(member, value, doc)])} and functions {name: (doc, ret, params)}."""
    start = raw.index('#if defined(__cplusplus)\nextern "C" {\n#endif\n')
    end = raw.index('#if defined(__cplusplus)\n} // extern "C"')
    body = raw[start:end].splitlines()[3:]
    enums, functions = {}, {}
    doc = []
    i = 0
    while i < len(body):
        line = body[i]
        if line.startswith("///"):
            doc.append(clean_doc(line))
        elif line.startswith("typedef SWIFT_ENUM("):
            m = re.match(r"typedef SWIFT_ENUM\(int32_t, (\w+), closed\) \{", line)
            name = m.group(1)
            members, enum_doc, doc = [], doc, []
            i += 1
            while body[i] != "};":
                member = body[i]
                if member.startswith("///"):
                    doc.append(clean_doc(member))
                else:
                    mm = re.match(rf"\s+{name}(\w+) = (-?\d+),", member)
                    members.append((mm.group(1), int(mm.group(2)), doc))
                    doc = []
                i += 1
            enums[name] = (enum_doc, members)
        elif line.startswith("SWIFT_EXTERN "):
            ret, name, params = parse_function(line[len("SWIFT_EXTERN "):])
            functions[name] = (doc, ret, params)
            doc = []
        elif line.strip() != "":
            raise SystemExit(f"unexpected line in the generated header: {line!r}")
        i += 1
    listed = [n for _, _, names in SECTIONS for n in names]
    for name in list(enums) + list(functions):
        if name not in listed:
            raise SystemExit(f"{name} is in no section: add it to SECTIONS in scripts/gen_header.py")
    for name in listed:
        if name not in enums and name not in functions:
            raise SystemExit(f"SECTIONS lists {name}, which Sources/CSwiftTune does not declare")
    return enums, functions


# ---------------------------------------------------------------------------------------------
# The C header


def comment(lines, indent=""):
    if not lines:
        return ""
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join(f"{indent} * {l}\n" if l else f"{indent} *\n" for l in lines)
    return f"{indent}/**\n{body}{indent} */\n"


def wrap(text, width=96):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def c_param(type_, name):
    return f"{type_}{name}" if type_.endswith("*") else f"{type_} {name}"


def header(enums, functions, v):
    preamble = PREAMBLE
    for k, value in v.items():
        preamble = preamble.replace("{" + k + "}", str(value))
    out = [preamble]
    for title, text, names in SECTIONS:
        rule = "=" * 92
        out.append(f"\n/* {rule}\n * {title}\n *\n" + "".join(f" * {l}\n" for l in wrap(text)) + f" * {rule} */\n")
        for name in names:
            out.append("\n")
            if name in enums:
                doc, members = enums[name]
                out.append(comment(doc) + f"typedef enum {name} {{\n")
                for member, value, mdoc in members:
                    out.append(comment(mdoc, "    ") + f"    {member} = {value},\n")
                out.append(f"}} {name};\n")
            else:
                doc, ret, params = functions[name]
                args = ", ".join(c_param(t, n) for t, n in params) or "void"
                out.append(comment(doc) + c_param(ret, f"{name}({args});") + "\n")
    return "".join(out) + POSTAMBLE


# ---------------------------------------------------------------------------------------------
# The ctypes module

CTYPES = {
    "void": "None",
    "int32_t": "ctypes.c_int32",
    "int64_t": "ctypes.c_int64",
    "double": "ctypes.c_double",
    "const char *": "ctypes.c_char_p",
    # A string the caller frees with st_free: read through a void pointer, so ctypes keeps the address.
    "char **": "ctypes.POINTER(ctypes.c_void_p)",
    "const char **": "ctypes.POINTER(ctypes.c_char_p)",
    "const char *const *": "ctypes.POINTER(ctypes.c_char_p)",
    "const double *": "ctypes.POINTER(ctypes.c_double)",
    "double *": "ctypes.POINTER(ctypes.c_double)",
    "int32_t *": "ctypes.POINTER(ctypes.c_int32)",
    "int64_t *": "ctypes.POINTER(ctypes.c_int64)",
    "const int32_t *": "ctypes.POINTER(ctypes.c_int32)",
    "void *": "ctypes.c_void_p",
    "st_objective": "st_objective",
    "st_stopper_fn": "st_stopper_fn",
    "st_searcher_fn": "st_searcher_fn",
    "st_scheduler_fn": "st_scheduler_fn",
    "st_optuna_fn": "st_optuna_fn",
}


def ctype(type_):
    for h in HANDLES:
        if type_ == f"st_{h} *":
            return "ctypes.c_void_p"
        if type_ == f"st_{h} **":
            return "ctypes.POINTER(ctypes.c_void_p)"
    if type_ not in CTYPES:
        raise SystemExit(f"no ctypes type for the C type {type_!r}: add it to CTYPES in scripts/gen_header.py")
    return CTYPES[type_]


def py_comment(lines, indent=""):
    return "".join(f"{indent}# {l}\n" if l else f"{indent}#\n" for l in lines)


def capi(enums, functions, v):
    out = [f'''\
"""The C API of libswifttune for ctypes: the version, every enum value and every function's signature.

GENERATED by scripts/gen_header.py from the Swift sources in Sources/CSwiftTune and the VERSION
file, together with include/swifttune.h (`make header`; `make header-check` fails when it is
stale); do not edit. The comments are the header's; _lib.py loads the library and uses this.
"""
from __future__ import annotations

import ctypes
from typing import Any

# The version of the package and of the library it needs (the VERSION file).
ST_VERSION = "{v['version']}"
ST_VERSION_MAJOR = {v['major']}
ST_VERSION_MINOR = {v['minor']}
ST_VERSION_PATCH = {v['patch']}
ST_VERSION_NUMBER = {v['number']}

# The objective given to st_experiment_run (the header's st_objective).
st_objective = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p)

# A stopper of the caller's, given to st_experiment_set_stopper (the header's st_stopper_fn):
# (stopper_id, query, trial_id, names, values, count, out_stop, user_data) -> status.
st_stopper_fn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_char_p,
                                 ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_double), ctypes.c_int32,
                                 ctypes.POINTER(ctypes.c_int32), ctypes.c_void_p)

# A searcher of the caller's, given to st_experiment_set_searcher (the header's st_searcher_fn):
# (searcher_id, query, trial_id, names, values, count, errored, out_answer, out_config_json,
# user_data) -> status; *out_config_json takes the address of a buffer the caller keeps alive.
st_searcher_fn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_char_p,
                                  ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_double), ctypes.c_int32,
                                  ctypes.c_int32, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_void_p),
                                  ctypes.c_void_p)

# A scheduler of the caller's, given to st_experiment_set_scheduler (the header's st_scheduler_fn):
# (scheduler_id, query, trial_id, names, values, count, text, out_decision, out_trial_id,
# user_data) -> status; *out_trial_id takes the address of a buffer the caller keeps alive.
st_scheduler_fn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int32, ctypes.c_char_p,
                                   ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_double), ctypes.c_int32,
                                   ctypes.c_char_p, ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_void_p),
                                   ctypes.c_void_p)

# A gamma or weights function of the caller's, given to st_optuna_set_functions (the header's
# st_optuna_fn): (function, n, out, user_data) -> status.
st_optuna_fn = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int64, ctypes.POINTER(ctypes.c_double),
                                ctypes.c_void_p)
''']
    for _, _, names in SECTIONS:
        for name in names:
            if name not in enums:
                continue
            doc, members = enums[name]
            out.append("\n" + py_comment([f"{name}: {doc[0]}" if doc else name] + doc[1:]))
            for member, value, mdoc in members:
                out.append(py_comment(mdoc) + f"{member} = {value}\n")
            table = ", ".join(f'{value}: "{member}"' for member, value, _ in members)
            out.append(f"# {name}'s values by number.\n{name.upper()}_NAMES: dict[int, str] = {{{table}}}\n")
    out.append("\n# Every function: (restype, argtypes), in the header's order.\nSIGNATURES: dict[str, tuple[Any, list[Any]]] = {\n")
    for _, _, names in SECTIONS:
        for name in names:
            if name not in functions:
                continue
            _, ret, params = functions[name]
            args = ", ".join(ctype(t) for t, _ in params)
            out.append(f'    "{name}": ({ctype(ret)}, [{args}]),\n')
    out.append('''}


def declare(cdll: Any) -> None:
    """Sets restype and argtypes of every function of the loaded library `cdll`."""
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(cdll, name)
        fn.restype = restype
        fn.argtypes = argtypes
''')
    return "".join(out)


# ---------------------------------------------------------------------------------------------


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    options = {}
    for flag in ("--capi", "--version-swift"):
        if flag in args:
            k = args.index(flag)
            options[flag] = args[k + 1]
            del args[k:k + 2]
    if len(args) != 3:
        raise SystemExit(__doc__)
    swiftc, modules, output = args
    v = read_version()
    files = []
    version_path = options.get("--version-swift")
    if version_path:
        files.append((version_path, version_swift(v)))
        if not check:  # the Swift sources read next include it
            write(version_path, version_swift(v))
            files.pop()
    enums, functions = parse(raw_header(swiftc, modules))
    files.append((output, header(enums, functions, v)))
    if "--capi" in options:
        files.append((options["--capi"], capi(enums, functions, v)))
    stale = []
    for path, text in files:
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except FileNotFoundError:
                same = False
            if not same:
                stale.append(path)
            else:
                print(f"{path} is up to date")
        else:
            write(path, text)
    if stale:
        raise SystemExit(f"{', '.join(stale)} {'is' if len(stale) == 1 else 'are'} stale: run `make header`")


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                print(f"{path} is up to date")
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
