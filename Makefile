# The two commands of the README. Each installs the system packages it needs when missing.
.PHONY: test demo bootstrap

bootstrap:
	@bash scripts/bootstrap.sh

test: bootstrap
	swift build --build-tests
	# At most 8 tests at once: on 2 cores, every suite at once (sshd and lab start-ups, key generation)
	# pushes login deadlines past their limit.
	# A throw-away PostgreSQL on loopback (scripts/pg/start.sh) for the PostgreSQL queue's tests, stopped after.
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=8 bash scripts/pg/with-postgres.sh \
		swift test --skip-build --skip 'TextFSMDifferentialTests/live'
	# The live TextFSM differential (Python's textfsm over every ntc-templates template) runs alone: it
	# keeps a core busy for minutes, which would starve the socket tests' deadlines beside it.
	swift test --skip-build --filter 'TextFSMDifferentialTests/live'
	bash scripts/check-openapi.sh
	bash scripts/check-readme-snippets.sh
	# Every DocC catalog builds without a warning.
	bash scripts/check-docs.sh
	# NetPulse's own Python SDK (netpulse-sdk 0.4.0 from PyPI) against netpulse serve and lab devices.
	bash scripts/netpulse-sdk.sh

demo: bootstrap
	swift run netpulse demo
