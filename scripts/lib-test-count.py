#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Used by scripts/test: counts one `meson test` run from its JSON log (meson-logs/NAME.json).
# usage: lib-test-count.py TESTLOG.json TALLY
#
# A test that prints lines starting with PASS, FAIL or SKIP (the shell tests, through
# tests/lib.sh, and some C tests) counts one result per such line, so that a script of twenty
# checks counts twenty; a test that prints none counts once, by meson's result.  meson's
# result stays the judge of the test: a failed test (exit status, timeout, crash) without a
# FAIL line counts one failure more, and FAIL lines count as failures even when the test
# exited 0.  Prints each test with its checks, and the output of the failed ones; appends the
# line "PASSED FAILED SKIPPED" to TALLY and one line per failure to TALLY.failures.

import json
import re
import sys

LINE = re.compile(r'^(PASS|FAIL|SKIP)\b')
TAIL = 150


def count(path, tally):
	passed = failed = skipped = 0
	failures = []
	try:
		with open(path) as f:
			tests = [json.loads(line) for line in f if line.strip()]
	except (OSError, ValueError) as e:
		tests = []
		print('    cannot read %s: %s' % (path, e))
	if not tests:
		failed += 1
		failures.append('%s: meson test produced no results' % path)
	for t in tests:
		name, result = t['name'], t['result']
		out = (t.get('stdout') or '') + (t.get('stderr') or '')
		lines = [l for l in out.splitlines() if LINE.match(l)]
		p = sum(1 for l in lines if l.startswith('PASS'))
		f = sum(1 for l in lines if l.startswith('FAIL'))
		s = sum(1 for l in lines if l.startswith('SKIP'))
		ok = result in ('OK', 'EXPECTEDFAIL')
		if not lines:
			if ok:
				p = 1
			elif result == 'SKIP':
				s = 1
		if not ok and result != 'SKIP' and f == 0:
			f = 1
			failures.append('%s: %s (exit status %s)' % (name, result, t.get('returncode')))
		if ok and f:
			failures.append('%s: exited 0 but printed FAIL' % name)
		failures += ['%s: %s' % (name, l) for l in lines if l.startswith('FAIL')]
		print('  %-12s %s  (%d passed, %d failed, %d skipped, %.0f s)' %
		      (result, name, p, f, s, t.get('duration', 0)))
		for l in lines:
			print('      ' + l)
		if f:
			print('      --- output of %s (last %d lines) ---' % (name, TAIL))
			for l in out.splitlines()[-TAIL:]:
				print('      | ' + l)
		passed += p
		failed += f
		skipped += s
	with open(tally, 'a') as f:
		f.write('%d %d %d\n' % (passed, failed, skipped))
	with open(tally + '.failures', 'a') as f:
		for l in failures:
			f.write(l.replace('\n', ' ') + '\n')


if __name__ == '__main__':
	if len(sys.argv) != 3:
		sys.exit('usage: lib-test-count.py TESTLOG.json TALLY')
	count(sys.argv[1], sys.argv[2])
