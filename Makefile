# Thin wrapper over scripts/: the build itself is CMake (see scripts/build.sh).
.PHONY: build run test bench clean

build:
	scripts/build.sh

run:
	scripts/quickstart.sh

test:
	scripts/test.sh

# The simulator's own speed (events per second) on the benchmark experiments.
bench: build
	build/lockstep bench

clean:
	rm -rf build
