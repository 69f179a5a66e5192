# wildside — the two set-up commands are `make demo` and `make test`.
# Both install missing Debian packages (scripts/setup.sh), configure and build with meson/ninja.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
PYTHON     ?= /usr/bin/python3
ORACLE_SEED ?= 1
FUZZ_SECONDS ?= 30

.PHONY: all setup build build-asan build-fuzz test unit asan oracle pcap lab fuzz demo bench clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer: any report fails.
$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) --buildtype=debugoptimized -Dbench=false \
	  -Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all

build-asan: setup $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)

$(BUILD_FUZZ)/build.ninja:
	CXX=clang++-16 CC=clang-16 meson setup $(BUILD_FUZZ) --buildtype=debugoptimized -Dfuzz=true -Dtests=false -Dbench=false

build-fuzz: setup $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ)

unit: build
	meson test -C $(BUILD) --print-errorlogs

# ... and the pcap tests against the sanitized dataplane (a report aborts it: the case fails).
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
asan: build-asan
	$(SAN_ENV) meson test -C $(BUILD_ASAN) --print-errorlogs
	$(SAN_ENV) $(PYTHON) tests/pcap/run_pcap_tests.py --wildside $(BUILD_ASAN)/wildside
	$(SAN_ENV) $(PYTHON) tests/pcap/esp_interop.py --wildside $(BUILD_ASAN)/wildside

oracle: build
	$(PYTHON) tests/oracle/route_oracle.py --replay tests/oracle/regress --wildsidectl $(BUILD)/wildsidectl
	$(PYTHON) tests/oracle/route_oracle.py --wildsidectl $(BUILD)/wildsidectl --seed $(ORACLE_SEED) --configs 20 --queries 300
	$(PYTHON) tests/oracle/route_oracle.py --wildsidectl $(BUILD)/wildsidectl --family 6 --seed $(ORACLE_SEED) --configs 100 --queries 300
	$(PYTHON) tests/xfrm/xfrm_oracle.py --wildsidectl $(BUILD)/wildsidectl --seed $(ORACLE_SEED) --configs 20 --lines 60
	$(PYTHON) tests/iptables/iptables_oracle.py --wildsidectl $(BUILD)/wildsidectl --wildside $(BUILD)/wildside --ipt-tool $(BUILD)/tests/iptables/ipt_tool --seed $(ORACLE_SEED) --packets 300

# Packets through real DPDK ports: scapy-built pcaps in, egress pcaps and counters checked;
# ESP both ways against scapy's independent implementation (tests/pcap/ESP_README.md).
pcap: build
	$(PYTHON) tests/pcap/run_pcap_tests.py --wildside $(BUILD)/wildside
	$(PYTHON) tests/pcap/esp_interop.py --wildside $(BUILD)/wildside

# Hosts in network namespaces joined through wildside on af_packet/veth ports; two instances
# side by side joined by memif.
lab: build
	bash tests/lab/forward_lab.sh $(BUILD)
	bash tests/lab/memif_pair.sh $(BUILD)
	$(PYTHON) tests/lab/extruded_lab.py --build $(BUILD)

fuzz: build-fuzz
	mkdir -p $(BUILD_FUZZ)/corpus $(BUILD_FUZZ)/packet_corpus
	$(BUILD_FUZZ)/tests/command_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -dict=tests/fuzz/command.dict $(BUILD_FUZZ)/corpus tests/fuzz/corpus
	$(BUILD_FUZZ)/tests/packet_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=$(BUILD_FUZZ)/ $(BUILD_FUZZ)/packet_corpus tests/fuzz/packet_corpus

# make stops at the first failing suite, so reaching the summary means every one passed.
test: unit asan oracle pcap lab fuzz
	@echo "make test: 7 passed, 0 failed (unit, unit and pcap under ASan+UBSan, oracle replay, kernel oracle, pcap, lab, fuzz)"

demo: build
	bash scripts/demo.sh $(BUILD)

bench: build
	bash perf/run_all.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
