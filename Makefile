# The two commands of the README. Each installs the system packages it needs when missing.
.PHONY: test demo bootstrap

bootstrap:
	@bash scripts/bootstrap.sh

test: bootstrap
	swift build --build-tests
	swift test --skip-build
	bash scripts/check-openapi.sh

demo: bootstrap
	swift run -c release netpulse demo
