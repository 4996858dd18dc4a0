# syntax=docker/dockerfile:1.7
# Multi-stage: build the wheel, install it into a venv, copy the venv into a slim runtime image.
# Runs as a numeric non-root user with a read-only root filesystem; state lives only under /data (a volume).

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --upgrade pip build
COPY pyproject.toml README.md ./
COPY estimator ./estimator
COPY monitor ./monitor
RUN python -m build --wheel --outdir /dist .
# python-dateutil<3: kubernetes and botocore disagree on it; the pin keeps pip from backtracking.
RUN python -m venv /opt/trainspend \
 && /opt/trainspend/bin/pip install --no-cache-dir "python-dateutil<3" "$(ls /dist/trainspend-*.whl)[postgres]"

FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="trainspend" \
      org.opencontainers.image.description="Cost monitoring, projection and alerting for GPU training on Kubernetes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/trainspend/trainspend"
COPY --from=build /opt/trainspend /opt/trainspend
# No trainspend settings baked in as ENV: environment variables would override the mounted config file. The default
# store URL (sqlite:///trainspend.db) is relative to the working directory, which is the data volume.
ENV PATH=/opt/trainspend/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["trainspend"]
CMD ["run"]
