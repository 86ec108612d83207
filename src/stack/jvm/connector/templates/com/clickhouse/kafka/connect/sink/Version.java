package com.clickhouse.kafka.connect.sink;

public final class Version {
    public static final String ARTIFACT_VERSION = "${connector.version}";

    private Version() {
        // Prevent instantiation
    }
}
