# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set; each target publishes one
# function under functions/ as a Native AOT `bootstrap` for provided.al2023 and copies what Lambda needs (the
# binary, and librdkafka for the functions that talk Kafka) into ARTIFACTS_DIR. No Docker.
#
#   SFN_ARCH=x86_64|arm64   the template's Architecture (default x86_64). Native AOT compiles for the machine's
#                           own architecture; for the other one use SFN_AOT=false.
#   SFN_AOT=true|false      false publishes a self-contained (JIT) build instead: it cross-compiles; a larger package
#                           and a slower cold start.
#
# Known limit: writing to Kafka (Gateway DESTINATION=kafka, Kafka routes, Aggregator results to kafka:) needs
# librdkafka, which Confluent.Kafka 2.16 did not load from either published build in our checks (it does from a
# framework-dependent build, as the tests run it). The template's functions do not write to Kafka; Kafka sources
# need no librdkafka (Lambda's event source mapping reads the topic).
#
# Outside SAM: make build-GatewayFunction ARTIFACTS_DIR=/tmp/gateway

SFN_ARCH ?= x86_64
SFN_AOT ?= true
RID_x86_64 := linux-x64
RID_arm64 := linux-arm64
RID := $(RID_$(SFN_ARCH))
ifeq ($(RID),)
$(error SFN_ARCH must be x86_64 or arm64, not '$(SFN_ARCH)')
endif

# Third-party assemblies (Confluent.Kafka, Parquet.Net) report trim/AOT analysis warnings as a summary (IL2104,
# IL3053); the project's own code still fails the build on any trim or AOT warning.
AOT_FLAGS := -p:PublishAot=true -p:StripSymbols=true "-p:WarningsNotAsErrors=IL2104%3BIL3053" "-p:MSBuildWarningsAsMessages=IL2104%3BIL3053"
SELF_CONTAINED_FLAGS := -p:PublishAot=false --self-contained true
FLAGS := $(if $(filter true,$(SFN_AOT)),$(AOT_FLAGS),$(SELF_CONTAINED_FLAGS))

# $(1): the folder under functions/. Native AOT keeps only the binary and librdkafka for glibc (provided.al2023): not
# the alpine and centos8 builds NuGet also ships, nor symbols or XML docs. A self-contained build keeps its folder.
define publish
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	rm -rf "$(ARTIFACTS_DIR)/.publish"
	dotnet publish functions/$(1)/$(1).csproj -c Release -r $(RID) $(FLAGS) -o "$(ARTIFACTS_DIR)/.publish" --nologo -v quiet
	if [ "$(SFN_AOT)" = true ]; then \
	  cp "$(ARTIFACTS_DIR)/.publish/bootstrap" "$(ARTIFACTS_DIR)/bootstrap" && \
	  find "$(ARTIFACTS_DIR)/.publish" -maxdepth 1 -name '*.so' ! -name 'alpine-*' ! -name 'centos8-*' -exec cp {} "$(ARTIFACTS_DIR)/" \; ; \
	else \
	  find "$(ARTIFACTS_DIR)/.publish" \( -name '*.pdb' -o -name '*.xml' -o -name 'alpine-*' -o -name 'centos8-*' \) -delete && cp -r "$(ARTIFACTS_DIR)/.publish/." "$(ARTIFACTS_DIR)/"; \
	fi
	rm -rf "$(ARTIFACTS_DIR)/.publish"
endef

build-GatewayFunction:
	$(call publish,Gateway)

build-S3SinkFunction:
	$(call publish,S3Sink)

build-TransformFunction:
	$(call publish,Transform)

build-AggregatorFunction:
	$(call publish,Aggregator)

build-RouterFunction:
	$(call publish,Router)

build-FailureHandlerFunction:
	$(call publish,FailureHandler)

.PHONY: build-GatewayFunction build-S3SinkFunction build-TransformFunction build-AggregatorFunction build-RouterFunction build-FailureHandlerFunction
