# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR set; each target publishes one
# function under functions/ as a Native AOT `bootstrap` for provided.al2023 and copies what Lambda needs (the
# binary, and librdkafka for the functions that talk Kafka) into ARTIFACTS_DIR. No Docker.
#
#   SFN_ARCH=x86_64|arm64   the template's Architecture (default x86_64). Native AOT compiles for the machine's
#                           own architecture; for the other one use SFN_AOT=false.
#   SFN_AOT=true|false      false publishes a self-contained single-file build instead (cross-compiles; slower cold start).
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
SINGLE_FILE_FLAGS := -p:PublishAot=false --self-contained true -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false
FLAGS := $(if $(filter true,$(SFN_AOT)),$(AOT_FLAGS),$(SINGLE_FILE_FLAGS))

# $(1): the folder under functions/. Only the binary and librdkafka for glibc (provided.al2023) are kept: not the
# alpine and centos8 builds of librdkafka NuGet also ships, nor symbols or XML docs.
define publish
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	rm -rf "$(ARTIFACTS_DIR)/.publish"
	dotnet publish functions/$(1)/$(1).csproj -c Release -r $(RID) $(FLAGS) -o "$(ARTIFACTS_DIR)/.publish" --nologo -v quiet
	cp "$(ARTIFACTS_DIR)/.publish/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"
	find "$(ARTIFACTS_DIR)/.publish" -maxdepth 1 -name '*.so' ! -name 'alpine-*' ! -name 'centos8-*' -exec cp {} "$(ARTIFACTS_DIR)/" \;
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
