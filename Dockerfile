# iot-uplink as a container image. Build the jar first, then the image:
#   mvn -B -DskipTests package && docker build -t iot-uplink:0.1.0 .
# Run it with the device's certificates and the HTTP API's token mounted read-only and the outbox on a volume (see
# docs/deployment.md); on 0.0.0.0 the API needs the token (openssl rand -hex 32 > api-token), or the bundle does not start:
#   docker run -d --name iot-uplink -p 8080:8080 -v iot-uplink-data:/var/lib/iot-uplink \
#     -v "$PWD/api-token:/run/secrets/iot-uplink-api-token:ro" -e UPLINK_API_TOKEN_FILE=/run/secrets/iot-uplink-api-token \
#     -v "$PWD/certs:/etc/iot-uplink/certs:ro" -e AWS_IOT_CERT_PATH=/etc/iot-uplink/certs/... (and the rest) iot-uplink:0.1.0
FROM eclipse-temurin:17-jre-noble

# curl answers the HEALTHCHECK; the user owns nothing but the data volume
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 uplink \
    && useradd --system --uid 10001 --gid uplink --home-dir /var/lib/iot-uplink --no-create-home \
       --shell /usr/sbin/nologin uplink \
    && mkdir -p /var/lib/iot-uplink/data /var/lib/iot-uplink/inbox /etc/iot-uplink/certs \
       /etc/iot-uplink/config /etc/iot-uplink/routes.d \
    && chown -R uplink:uplink /var/lib/iot-uplink

COPY target/iot-uplink.jar /opt/iot-uplink/iot-uplink.jar
COPY bin/iot-uplink /opt/iot-uplink/iot-uplink

# The outbox and the inbox live on the volume; certificates, configuration and extra routes are mounted read-only.
# A *.properties file in /etc/iot-uplink/config (e.g. a ConfigMap) sets property keys; environment variables win.
ENV UPLINK_DATA_DIR=/var/lib/iot-uplink/data \
    UPLINK_INBOX=/var/lib/iot-uplink/inbox \
    UPLINK_ROUTES_DIR=/etc/iot-uplink/routes.d \
    CAMEL_MAIN_CLOUD_PROPERTIES_LOCATION=/etc/iot-uplink/config \
    CAMEL_SERVER_HOST=0.0.0.0 \
    CAMEL_SERVER_PORT=8080

VOLUME ["/var/lib/iot-uplink"]
WORKDIR /var/lib/iot-uplink
USER 10001:10001
EXPOSE 8080

# Liveness, not readiness: a broker outage is not a broken container (readings wait in the outbox); the health
# checks are the one path that needs no API token
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${CAMEL_SERVER_PORT}/observe/health/live" || exit 1

# bin/iot-uplink: the JVM options for a small machine (a container's memory limit sizes the heap), and a class data
# archive in the data directory, written when the first run stops, that makes every later start quicker;
# SIGTERM stops the bundle gracefully (exit 0)
ENTRYPOINT ["/opt/iot-uplink/iot-uplink"]
