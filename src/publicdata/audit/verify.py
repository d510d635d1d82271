"""Audit chain verification in plain Python: rebuild the chain from stored entries and name every problem.

PLT-8, SEC-1: `verify_chain` takes entries in physical storage order and reports, by seq, each entry that
was edited, deleted, inserted, reordered or forked, and (given a trusted head from a signed checkpoint)
whether the newest entries were truncated or the chain rewritten. Split from `model` to keep both short;
`model` re-exports these names.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any

from publicdata.audit.model import (
    DEFAULT_FORK_WINDOW,
    GENESIS,
    AuditEntry,
    ChainAnchor,
    ChainHead,
    compute_hash,
)

_RENUMBER_PROBE = 64  # how far past a gap we look for the original seq of a renumbered entry


class ProblemKind(StrEnum):
    # Declaration order breaks ties between problems at the same seq: the cause before its side effects.
    BAD_ANCHOR = "bad_anchor"
    BAD_CHECKPOINT = "bad_checkpoint"  # a stored checkpoint whose signature does not verify (store level)
    DELETED = "deleted"
    INSERTED = "inserted"
    FORKED = "forked"
    REORDERED = "reordered"
    EDITED = "edited"
    TRUNCATED = "truncated"
    REWRITTEN = "rewritten"


PRIORITY = {kind: i for i, kind in enumerate(ProblemKind)}


@dataclass(frozen=True)
class Problem:
    """`seq`: the chain position of the bad entry (for gaps, the first missing seq). `row_id`: the row it
    was found at (for a gap, the row right after it)."""

    kind: ProblemKind
    seq: int
    row_id: int | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    head: ChainHead | None  # the last entry on the reconstructed chain (seq = its chain position)
    problems: list[Problem] = field(default_factory=list, hash=False)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    start: ChainAnchor | None = None,
    expected_head: ChainHead | None = None,
    fork_window: timedelta = DEFAULT_FORK_WINDOW,
) -> VerifyReport:
    """Check `entries`, given in physical storage order (e.g. by row id), from `start` (default GENESIS).

    How problems are classified — the chain is rebuilt first, then every deviation is named:

    1. Each entry's hash is recomputed; an entry is *intact* when it matches the stored hash.
    2. The chain is rebuilt by following links (an entry links to whichever entry's stored hash equals its
       prev_hash) from the anchor. Where several entries link to the same one, the chain continues with the
       one heading the longest run of descendants; the others head dead branches (step 5). Where no entry
       links to the current one, the link is broken and the chain resumes at the unlinked entry with the
       lowest seq above the current position. Positions count up from the anchor along the way.
    3. Each step onto an entry is judged:
       - linked, intact, seq == position: fine.
       - linked, intact, seq != position: *edited* (seq changed and the hash recomputed).
       - linked, not intact, but hashing it with seq = position matches: only its seq changed. If such seq
         changes form a cycle (two rows' seqs swapped) they are *reordered*; otherwise the run is *edited*
         (renumbered, typically to hide an inserted or deleted row).
       - linked, not intact otherwise: *edited* (content changed without re-hashing).
       - broken link to an intact entry whose seq is the next position: the predecessor's hash no longer
         equals what its successor recorded, so the predecessor was *edited* and re-hashed (if the
         predecessor is the anchor: *bad_anchor*).
       - broken link to an intact entry with a higher seq: *deleted*, from the first missing seq.
       - broken link to a non-intact entry: if hashing it with the expected prev_hash matches, its prev_hash
         was *edited*; if hashing it with a seq a little past the gap matches, rows were *deleted* and the
         rest renumbered; otherwise *edited* (plus *deleted* if its seq jumps).
    4. Entries on the chain whose storage order disagrees with chain order — those outside the longest run
       that is in order both ways — are *reordered*.
    5. Each dead branch is reported once, at its first entry: *forked* when it looks like what two writers
       without a lock produce (intact, same prev_hash and seq as the entry the chain took, written within
       `fork_window` of it and stored between the fork point and the next entry); an exact copy of a chain
       entry, a row that claims a taken position any other way, or a row linked to nothing is *inserted*.
       A dead branch that starts with a non-intact entry is *edited* (its prev_hash was changed).
    6. `expected_head` (a trusted head, e.g. from a signed checkpoint): if the chain stops before its seq,
       the newest rows were deleted (*truncated*); if the entry at that seq has another hash, the chain was
       rewritten and re-chained at or before it (*rewritten*).

    Problems are sorted by seq, so the first one is the first bad entry. A forged row that copies its
    predecessor's link, seq and (to the second) its sibling's time is indistinguishable from a fork; it is
    still named, only labelled *forked*.
    """
    return _Verifier(list(entries), start or GENESIS, fork_window).run(expected_head)


class _Verifier:
    def __init__(self, rows: list[AuditEntry], start: ChainHead, fork_window: timedelta) -> None:
        self.rows, self.start, self.window = rows, start, fork_window
        self.intact = [_safe_hash(e) == e.hash for e in rows]
        self.children: dict[str, list[int]] = {}
        self.by_hash: dict[str, list[int]] = {}
        for i, e in enumerate(rows):
            self.children.setdefault(e.prev_hash, []).append(i)
            self.by_hash.setdefault(e.hash, []).append(i)
        self.depth = self._depths()
        self.main: list[int] = []  # physical indexes, in chain order
        self.pos: dict[int, int] = {}  # physical index -> chain position (expected seq)
        self.seq_only: list[int] = []  # entries whose only change is their seq
        self.problems: dict[tuple[ProblemKind, int, int | None], Problem] = {}

    def run(self, expected_head: ChainHead | None) -> VerifyReport:
        self._walk()
        self._judge_seq_changes()
        self._judge_order()
        self._judge_dead_branches()
        head = None
        if self.main:
            head = ChainHead(self.pos[self.main[-1]], self.rows[self.main[-1]].hash)
        if expected_head is not None:
            self._judge_expected_head(expected_head, head)
        problems = sorted(self.problems.values(), key=lambda p: (p.seq, PRIORITY[p.kind]))
        return VerifyReport(checked=len(self.rows), head=head, problems=problems)

    def _add(self, kind: ProblemKind, seq: int, i: int | None, message: str) -> None:
        row_id = None if i is None else self.rows[i].row_id
        self.problems.setdefault((kind, seq, row_id), Problem(kind, seq, row_id, message))

    def _hash_with(self, i: int, **changes: Any) -> str | None:
        return _safe_hash(replace(self.rows[i], **changes))

    def _depths(self) -> list[int]:
        """Longest run of descendants per entry; iterative (chains are long), and cycles — only possible
        with forged hashes — are cut."""
        depth, state = [0] * len(self.rows), [0] * len(self.rows)  # state: 0 new, 1 open, 2 done
        for root in range(len(self.rows)):
            stack = [(root, False)]
            while stack:
                i, expanded = stack.pop()
                kids = self.children.get(self.rows[i].hash, [])
                if expanded:
                    depth[i] = 1 + max((depth[c] for c in kids if state[c] == 2), default=0)
                    state[i] = 2
                elif state[i] == 0:
                    state[i] = 1
                    stack.append((i, True))
                    stack.extend((c, False) for c in kids if state[c] == 0)
        return depth

    def _walk(self) -> None:
        rows, known = self.rows, set(self.by_hash) | {self.start.hash}
        unlinked = sorted(
            (i for i, e in enumerate(rows) if e.prev_hash not in known),
            key=lambda i: (rows[i].seq, -self.depth[i], i),
        )
        claimed = [False] * len(rows)
        cur_hash, cur, tail, u = self.start.hash, self.start.seq, None, 0
        while True:
            kids = [c for c in self.children.get(cur_hash, []) if not claimed[c]]
            if kids:
                nxt = min(kids, key=lambda c: (-self.depth[c], not self._fits(c, cur + 1), c))
                for c in kids:  # the others head dead branches
                    claimed[c] = True
                cur += 1
                self._linked_step(nxt, cur)
            else:
                while u < len(unlinked) and (claimed[unlinked[u]] or rows[unlinked[u]].seq <= cur):
                    u += 1
                if u == len(unlinked):
                    break
                nxt = unlinked[u]
                claimed[nxt] = True
                cur = self._broken_step(tail, cur, nxt)
            self.main.append(nxt)
            self.pos[nxt] = cur
            tail, cur_hash = nxt, rows[nxt].hash

    def _fits(self, i: int, position: int) -> bool:
        return self.intact[i] and self.rows[i].seq == position

    def _linked_step(self, i: int, x: int) -> None:
        e = self.rows[i]
        if self.intact[i]:
            if e.seq != x:
                self._add(
                    ProblemKind.EDITED,
                    x,
                    i,
                    f"entry at seq {x} is stored as seq {e.seq}: its seq was changed and its hash recomputed",
                )
        elif self._hash_with(i, seq=x) == e.hash:
            self.seq_only.append(i)
        else:
            self._add(
                ProblemKind.EDITED,
                x,
                i,
                f"entry seq {x} no longer matches its stored hash: a field was changed after it was written",
            )

    def _broken_step(self, tail: int | None, t: int, i: int) -> int:
        """Judge resuming the chain at entry `i` after position `t`; return `i`'s chain position."""
        e = self.rows[i]
        expected_prev = self.start.hash if tail is None else self.rows[tail].hash
        if self.intact[i]:
            if e.seq > t + 1:
                self._deleted(t, e.seq, i)
            elif tail is None:
                self._add(
                    ProblemKind.BAD_ANCHOR,
                    t + 1,
                    i,
                    f"entry seq {e.seq} does not link to the anchor "
                    f"(seq {t}, hash {expected_prev[:12]}…): wrong anchor, or the chain before it was "
                    "rewritten",
                )
            else:
                self._add(
                    ProblemKind.EDITED,
                    t,
                    tail,
                    f"entry seq {t} was changed and its hash recomputed: "
                    f"entry seq {e.seq} still records its old hash {e.prev_hash[:12]}…",
                )
            return e.seq
        if self._hash_with(i, prev_hash=expected_prev) == e.hash:
            self._add(ProblemKind.EDITED, t + 1, i, f"entry seq {t + 1} had its prev_hash changed")
            return t + 1
        for original in range(t + 2, t + 2 + _RENUMBER_PROBE):
            if self._hash_with(i, seq=original) == e.hash:
                self._deleted(t, original, i)
                self.seq_only.append(i)
                return original
        if e.seq > t + 1:
            self._deleted(t, e.seq, i)
        x = max(e.seq, t + 1)
        self._add(
            ProblemKind.EDITED,
            x,
            i,
            f"entry seq {x} no longer matches its stored hash and does not link to entry seq {t}",
        )
        return x

    def _deleted(self, t: int, resumes_at: int, i: int) -> None:
        n = resumes_at - t - 1
        gap = f"seq {t + 1}" if n == 1 else f"seq {t + 1}..{resumes_at - 1}"
        hint = " (if purged, verify from the purge checkpoint)" if t == self.start.seq else ""
        self._add(
            ProblemKind.DELETED,
            t + 1,
            i,
            f"{n} entr{'y' if n == 1 else 'ies'} missing ({gap}): "
            f"entry seq {resumes_at} points to a hash no stored entry has{hint}",
        )

    def _judge_seq_changes(self) -> None:
        """Seq-only changes that form cycles are swapped seqs (reordered); the rest are renumbering runs."""
        at = {self.pos[i]: i for i in self.seq_only}
        in_cycle: set[int] = set()
        seen: set[int] = set()
        for x0 in at:
            trail: dict[int, int] = {}
            x: int | None = x0
            while x is not None and x in at and x not in seen:
                seen.add(x)
                trail[x] = len(trail)
                x = self.rows[at[x]].seq
            if x in trail:
                in_cycle.update(list(trail)[trail[x] :])
        run: list[int] = []
        for i in sorted(self.seq_only, key=lambda i: self.pos[i]):
            x = self.pos[i]
            if x in in_cycle:
                self._add(
                    ProblemKind.REORDERED,
                    x,
                    i,
                    f"entry at seq {x} is stored as seq "
                    f"{self.rows[i].seq}: seq values were swapped between entries",
                )
                continue
            if run and (self.pos[run[-1]] + 1 != x or self._shift(run[-1]) != self._shift(i)):
                self._renumbered(run)
                run = []
            run.append(i)
        if run:
            self._renumbered(run)

    def _shift(self, i: int) -> int:
        return self.rows[i].seq - self.pos[i]

    def _renumbered(self, run: list[int]) -> None:
        a, b, d = self.pos[run[0]], self.pos[run[-1]], self._shift(run[0])
        span = f"seq {a}" if a == b else f"seq {a}..{b}"
        self._add(
            ProblemKind.EDITED,
            a,
            run[0],
            f"{span} renumbered by {d:+d} without re-hashing (typically to hide an inserted or deleted row)",
        )

    def _judge_order(self) -> None:
        """Entries outside the longest run that is in order both physically and along the chain."""
        phys = self.main  # physical index per chain step: an in-order chain is strictly increasing
        tails: list[int] = []  # tails[k]: smallest physical index ending an in-order run of length k+1
        tail_step: list[int] = []
        back = [-1] * len(phys)
        for step, p in enumerate(phys):
            k = bisect.bisect_left(tails, p)
            back[step] = tail_step[k - 1] if k else -1
            if k == len(tails):
                tails.append(p)
                tail_step.append(step)
            else:
                tails[k], tail_step[k] = p, step
        keep: set[int] = set()
        step = tail_step[-1] if tail_step else -1
        while step != -1:
            keep.add(step)
            step = back[step]
        for step, i in enumerate(phys):
            if step not in keep:
                x = self.pos[i]
                self._add(
                    ProblemKind.REORDERED,
                    x,
                    i,
                    f"entry seq {x} is stored out of chain order "
                    f"(physical position {i + 1} of {len(self.rows)})",
                )

    def _judge_dead_branches(self) -> None:
        on_main = set(self.main)
        reported = set(on_main)
        step_of = {i: s for s, i in enumerate(self.main)}
        heads: list[tuple[int, int | None]] = []
        for i, e in enumerate(self.rows):
            if i in on_main:
                continue
            parents = self.by_hash.get(e.prev_hash, [])
            attached = [p for p in parents if p in on_main]
            if attached or e.prev_hash == self.start.hash:
                heads.append((i, attached[0] if attached else None))
            elif not parents:
                heads.append((i, None))
        for i, parent in heads:
            self._judge_branch_head(i, parent, step_of)
            reported.update(self._branch(i))
        for i in range(len(self.rows)):  # rows in link cycles (forged hashes) have no head
            if i not in reported:
                self._add(
                    ProblemKind.EDITED if not self.intact[i] else ProblemKind.INSERTED,
                    self.rows[i].seq,
                    i,
                    f"entry stored as seq {self.rows[i].seq} is not linked into the chain",
                )
                reported.update(self._branch(i))

    def _branch(self, i: int) -> set[int]:
        found, todo = {i}, [i]
        while todo:
            for c in self.children.get(self.rows[todo.pop()].hash, []):
                if c not in found and c not in self.pos:
                    found.add(c)
                    todo.append(c)
        return found

    def _judge_branch_head(self, i: int, parent: int | None, step_of: dict[int, int]) -> None:
        e, size = self.rows[i], len(self._branch(i))
        more = f" ({size - 1} more entries follow it)" if size > 1 else ""
        linked_to_anchor = parent is None and e.prev_hash == self.start.hash
        if parent is None and not linked_to_anchor:
            if not self.intact[i]:
                self._add(
                    ProblemKind.EDITED,
                    e.seq,
                    i,
                    f"entry stored as seq {e.seq} no longer matches its hash and links to no entry{more}",
                )
                return
            old = f" — at or before the anchor seq {self.start.seq}" if e.seq <= self.start.seq else ""
            self._add(
                ProblemKind.INSERTED,
                e.seq,
                i,
                f"entry stored as seq {e.seq} links to no entry{old}: "
                f"not written by the chain's writer{more}",
            )
            return
        p_step = -1 if parent is None else step_of[parent]
        x = (self.start.seq if parent is None else self.pos[parent]) + 1
        m = self.main[p_step + 1] if p_step + 1 < len(self.main) else None
        if m is not None and self.rows[m].prev_hash != e.prev_hash:
            m = None  # the chain did not continue from this parent through a link
        if not self.intact[i]:
            self._add(
                ProblemKind.EDITED,
                max(x, e.seq),
                i,
                f"entry stored as seq {e.seq} no longer matches "
                f"its hash and its prev_hash now points to seq {x - 1}{more}",
            )
        elif m is not None and self.rows[m].hash == e.hash:
            self._add(ProblemKind.INSERTED, x, i, f"entry at seq {x} is a copy of the row of seq {x}")
        elif m is not None and self._is_fork(i, parent, m, p_step + 1, x):
            self._add(
                ProblemKind.FORKED,
                x,
                i,
                f"two entries claim seq {x} after seq {x - 1}: a write without "
                f"the chain lock; the chain continued with the other one{more}",
            )
        else:
            self._add(
                ProblemKind.INSERTED,
                x,
                i,
                f"entry stored as seq {e.seq} claims to follow seq {x - 1}, "
                f"but the chain continues with another entry{more}",
            )

    def _is_fork(self, i: int, parent: int | None, m: int, m_step: int, x: int) -> bool:
        if not (self._fits(i, x) and self._fits(m, x)):
            return False
        if abs(self.rows[i].occurred_at - self.rows[m].occurred_at) > self.window:
            return False
        after = self.main[m_step + 1] if m_step + 1 < len(self.main) else None
        return (parent is None or i > parent) and (after is None or i < after)

    def _judge_expected_head(self, expected: ChainHead, head: ChainHead | None) -> None:
        if expected.seq < self.start.seq:
            raise ValueError("expected_head is older than the start anchor")
        if expected.seq == self.start.seq:
            if expected.hash != self.start.hash:
                self._add(
                    ProblemKind.BAD_ANCHOR,
                    expected.seq + 1,
                    None,
                    "the start anchor disagrees with the expected head at the same seq",
                )
            return
        at = next((i for i in self.main if self.pos[i] == expected.seq), None)
        if at is not None:
            if self.rows[at].hash != expected.hash:
                self._add(
                    ProblemKind.REWRITTEN,
                    expected.seq,
                    at,
                    f"entry seq {expected.seq} has another "
                    "hash than the trusted head: it or an earlier entry was rewritten and re-chained",
                )
        elif head is None or head.seq < expected.seq:
            last = self.start.seq if head is None else head.seq
            self._add(
                ProblemKind.TRUNCATED,
                last + 1,
                None,
                f"the chain ends at seq {last} but a trusted "
                f"head shows seq {expected.seq}: the newest {expected.seq - last} entries were deleted",
            )


def _safe_hash(entry: AuditEntry) -> str | None:
    try:
        return compute_hash(entry)
    except (ValueError, TypeError, AttributeError):  # a stored row that cannot be encoded cannot be intact
        return None
