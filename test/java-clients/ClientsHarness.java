/*
 * Drives ClickHouse's official Java clients, 0.9.5 (the sink connector's): the V1 HTTP client
 * (com.clickhouse.client.ClickHouseClient, the connector's default) and client-v2
 * (com.clickhouse.client.api.Client). Prints one JSON line with what each client saw.
 *
 *   java -cp '<lib>/*' ClientsHarness.java URL USER SCENARIO [ARGS...]
 *
 * The password comes from the environment (CLICKHOUSE_PASSWORD), not the command line.
 * Scenarios:
 *   ping
 *   select ROWS              SELECT VERSION() and ROWS generated rows, response compression on and off
 *   insert DB TABLE ROWS     RowBinary INSERTs, as the connector sends them; one batch per client and
 *                            request compression, tagged in column `batch`
 *   lz4 DB TABLE ROWS        RowBinary INSERTs whose body is an LZ4 frame (Content-Encoding: lz4)
 *   fail SQL                 runs SQL, expecting ClickHouse to refuse it; reports the code each client saw
 *
 * Rows of `insert` and `lz4`, for row i of a batch (the test checks them with the same formula):
 *   batch String, s String = "row-<i>-ü✓", lc LowCardinality(String) = "lc<i % 3>",
 *   ts DateTime64(3, 'UTC') = 1700000000000 + i * 1001 ms, n Int32 = i * 7 - 500,
 *   ns Nullable(String) = NULL when i % 4 = 0 else "n<i>", id Int64 = i
 */
import com.clickhouse.client.ClickHouseClient;
import com.clickhouse.client.ClickHouseNode;
import com.clickhouse.client.ClickHouseNodeSelector;
import com.clickhouse.client.ClickHouseProtocol;
import com.clickhouse.client.ClickHouseRequest;
import com.clickhouse.client.ClickHouseResponse;
import com.clickhouse.client.api.Client;
import com.clickhouse.client.api.ServerException;
import com.clickhouse.client.api.insert.InsertResponse;
import com.clickhouse.client.api.insert.InsertSettings;
import com.clickhouse.client.api.query.GenericRecord;
import com.clickhouse.client.config.ClickHouseClientOption;
import com.clickhouse.data.ClickHouseDataStreamFactory;
import com.clickhouse.data.ClickHouseFormat;
import com.clickhouse.data.ClickHousePipedOutputStream;
import com.clickhouse.data.ClickHouseRecord;
import com.clickhouse.data.format.BinaryStreamUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4FrameOutputStream;

public class ClientsHarness {
    static final long TS_BASE_MS = 1_700_000_000_000L;
    static final int TIMEOUT_MS = 60_000;

    final String url;
    final String user;
    final String password;

    ClientsHarness(String url, String user, String password) {
        this.url = url.replaceAll("/+$", "");
        this.user = user;
        this.password = password;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: ClientsHarness.java URL USER SCENARIO [ARGS...] (password in CLICKHOUSE_PASSWORD)");
            System.exit(2);
        }
        ClientsHarness h = new ClientsHarness(args[0], args[1], Objects.requireNonNullElse(System.getenv("CLICKHOUSE_PASSWORD"), ""));
        String scenario = args[2];
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", scenario);
        switch (scenario) {
            case "ping" -> {
                out.put("v1", h.pingV1());
                out.put("v2", h.pingV2());
            }
            case "select" -> {
                int rows = Integer.parseInt(args[3]);
                for (String client : List.of("v1", "v2")) {
                    Map<String, Object> modes = new LinkedHashMap<>();
                    for (boolean compressed : new boolean[] {true, false}) {
                        modes.put(compressed ? "compressed" : "plain", outcome(() -> h.select(client, compressed, rows)));
                    }
                    out.put(client, modes);
                }
            }
            case "insert" -> {
                String db = args[3], table = args[4];
                int rows = Integer.parseInt(args[5]);
                out.put("v1", outcome(() -> h.insertV1(db, table, "v1", rows, false)));
                out.put("v1-compressed-request", outcome(() -> h.insertV1(db, table, "v1-compressed-request", rows, true)));
                out.put("v2", outcome(() -> h.insertV2(db, table, "v2", rows, false)));
                out.put("v2-compressed-request", outcome(() -> h.insertV2(db, table, "v2-compressed-request", rows, true)));
            }
            case "lz4" -> {
                String db = args[3], table = args[4];
                int rows = Integer.parseInt(args[5]);
                out.put("lz4-frame", outcome(() -> h.insertLz4Frame(db, table, "lz4-frame", rows)));
                out.put("v2-http-lz4", outcome(() -> h.insertV2HttpLz4(db, table, "v2-http-lz4", rows)));
            }
            case "fail" -> {
                String sql = args[3];
                out.put("v1", outcome(() -> h.queryV1(sql, true)));
                out.put("v2", outcome(() -> h.queryV2(sql, true)));
            }
            default -> {
                System.err.println("unknown scenario " + scenario);
                System.exit(2);
            }
        }
        System.out.println(json(out));
    }

    interface Step {
        Map<String, Object> run() throws Exception;
    }

    /** The step's result, or the ClickHouse error (code and message) the client raised. */
    static Map<String, Object> outcome(Step step) {
        try {
            Map<String, Object> result = step.run();
            result.put("ok", true);
            return result;
        } catch (Throwable t) {
            Throwable server = serverError(t);
            Map<String, Object> failure = new LinkedHashMap<>();
            failure.put("ok", false);
            failure.put("code", server instanceof ServerException se ? se.getCode()
                    : server instanceof com.clickhouse.client.ClickHouseException ce ? ce.getErrorCode() : -1);
            failure.put("error", (server != null ? server : t).getClass().getName() + ": " + (server != null ? server : t).getMessage());
            return failure;
        }
    }

    /** The server's error as each client raises it, anywhere in the cause chain. */
    static Throwable serverError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ServerException || c instanceof com.clickhouse.client.ClickHouseException) return c;
        }
        return null;
    }

    // ---- V1: com.clickhouse.client (clickhouse-http-client), as the connector builds it

    ClickHouseNode nodeV1(String database) {
        return ClickHouseNode.of(url + "/" + database, Map.of("user", user, "password", password));
    }

    static ClickHouseClient clientV1() {
        return ClickHouseClient.builder().nodeSelector(ClickHouseNodeSelector.of(ClickHouseProtocol.HTTP)).build();
    }

    Map<String, Object> pingV1() {
        try (ClickHouseClient client = clientV1()) {
            return Map.of("ok", client.ping(nodeV1("default"), TIMEOUT_MS));
        }
    }

    /** The first column of every row, as strings. */
    Map<String, Object> queryV1(String sql, boolean compressed) throws Exception {
        try (ClickHouseClient client = clientV1();
             ClickHouseResponse response = client.read(nodeV1("default"))
                     .option(ClickHouseClientOption.COMPRESS, compressed)
                     .query(sql)
                     .executeAndWait()) {
            List<String> values = new ArrayList<>();
            for (ClickHouseRecord r : response.records()) values.add(r.getValue(0).asString());
            return result("values", values);
        }
    }

    // ---- client-v2: com.clickhouse.client.api.Client

    Client.Builder builderV2(String database) {
        return new Client.Builder()
                .addEndpoint(url + "/" + database)
                .setUsername(user)
                .setPassword(password)
                .setDefaultDatabase(database);
    }

    Map<String, Object> pingV2() {
        try (Client client = builderV2("default").build()) {
            return Map.of("ok", client.ping(TIMEOUT_MS));
        }
    }

    Map<String, Object> queryV2(String sql, boolean compressed) {
        try (Client client = builderV2("default").compressServerResponse(compressed).build()) {
            List<String> values = new ArrayList<>();
            for (GenericRecord r : client.queryAll(sql)) values.add(r.getString(1));
            return result("values", values);
        }
    }

    // ---- select: VERSION() and generated rows, checked value by value

    static String selectSql(int rows) {
        return "SELECT number AS id, concat('row-', toString(number), '-ü✓') AS s, "
                + "fromUnixTimestamp64Milli(toInt64(" + TS_BASE_MS + " + number * 1001), 'UTC') AS ts, "
                + "if(number % 4 = 0, NULL, concat('n', toString(number))) AS ns "
                + "FROM numbers(" + rows + ")";
    }

    /** Counts the rows whose values differ from the generator's; sums ids and NULLs. */
    static final class RowCheck {
        long rows, idSum, nulls, mismatches;
        String firstMismatch;

        void add(long id, String s, Instant ts, String ns) {
            rows++;
            idSum += id;
            if (ns == null) nulls++;
            boolean ok = s.equals("row-" + id + "-ü✓")
                    && ts.toEpochMilli() == TS_BASE_MS + id * 1001
                    && (id % 4 == 0 ? ns == null : ("n" + id).equals(ns));
            if (!ok) {
                mismatches++;
                if (firstMismatch == null) firstMismatch = id + " | " + s + " | " + ts + " | " + ns;
            }
        }

        Map<String, Object> toMap(String version) {
            Map<String, Object> m = result("version", version);
            m.put("rows", rows);
            m.put("idSum", idSum);
            m.put("nulls", nulls);
            m.put("mismatches", mismatches);
            m.put("firstMismatch", firstMismatch);
            return m;
        }
    }

    Map<String, Object> select(String client, boolean compressed, int rows) throws Exception {
        String sql = selectSql(rows);
        RowCheck check = new RowCheck();
        String version;
        if (client.equals("v1")) {
            version = String.valueOf(((List<?>) queryV1("SELECT VERSION()", compressed).get("values")).get(0));
            try (ClickHouseClient c = clientV1();
                 ClickHouseResponse response = c.read(nodeV1("default"))
                         .option(ClickHouseClientOption.COMPRESS, compressed)
                         .format(ClickHouseFormat.RowBinaryWithNamesAndTypes)
                         .query(sql)
                         .executeAndWait()) {
                for (ClickHouseRecord r : response.records()) {
                    check.add(r.getValue(0).asLong(), r.getValue(1).asString(), r.getValue(2).asInstant(),
                            r.getValue(3).isNullOrEmpty() ? null : r.getValue(3).asString());
                }
            }
        } else {
            version = String.valueOf(((List<?>) queryV2("SELECT VERSION()", compressed).get("values")).get(0));
            try (Client c = builderV2("default").compressServerResponse(compressed).build()) {
                // getInstant() casts DateTime64 values to LocalDateTime and fails in 0.9.5; the zoned value is right.
                for (GenericRecord r : c.queryAll(sql)) {
                    check.add(r.getLong("id"), r.getString("s"), r.getZonedDateTime("ts").toInstant(), r.getObject("ns") == null ? null : r.getString("ns"));
                }
            }
        }
        return check.toMap(version);
    }

    // ---- inserts

    static void writeRows(OutputStream out, String batch, int rows) throws IOException {
        for (long i = 0; i < rows; i++) {
            BinaryStreamUtils.writeString(out, batch);
            BinaryStreamUtils.writeString(out, "row-" + i + "-ü✓");
            BinaryStreamUtils.writeString(out, "lc" + (i % 3));
            BinaryStreamUtils.writeInt64(out, TS_BASE_MS + i * 1001);
            BinaryStreamUtils.writeInt32(out, (int) (i * 7 - 500));
            if (i % 4 == 0) {
                BinaryStreamUtils.writeNull(out);
            } else {
                BinaryStreamUtils.writeNonNull(out);
                BinaryStreamUtils.writeString(out, "n" + i);
            }
            BinaryStreamUtils.writeInt64(out, i);
        }
    }

    static byte[] rowBinary(String batch, int rows) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeRows(out, batch, rows);
        return out.toByteArray();
    }

    /** The connector's V1 path (ClickHouseWriter.doInsertRawBinaryV1): a piped stream into an unqualified INSERT. */
    Map<String, Object> insertV1(String db, String table, String batch, int rows, boolean compressRequest) throws Exception {
        try (ClickHouseClient client = clientV1()) {
            ClickHouseRequest.Mutation request = client.read(nodeV1(db))
                    .write()
                    .table(table, UUID.randomUUID().toString())
                    .format(ClickHouseFormat.RowBinary)
                    .set("input_format_skip_unknown_fields", 1)
                    .set("wait_end_of_query", 1)
                    .set("async_insert", 0)
                    .set("send_progress_in_http_headers", 1)
                    .set("insert_deduplication_token", UUID.randomUUID().toString())
                    .option(ClickHouseClientOption.DECOMPRESS, compressRequest);
            request.option(ClickHouseClientOption.WRITE_BUFFER_SIZE, 8192);
            CompletableFuture<ClickHouseResponse> future;
            try (ClickHousePipedOutputStream stream = ClickHouseDataStreamFactory.getInstance().createPipedOutputStream(request.getConfig())) {
                future = request.data(stream.getInputStream()).execute();
                writeRows(stream, batch, rows);
            }
            try (ClickHouseResponse response = future.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                return result("writtenRows", response.getSummary().getWrittenRows());
            }
        }
    }

    /** The connector's V2 path (doInsertRawBinaryV2): client.insert with a DataStreamWriter. */
    Map<String, Object> insertV2(String db, String table, String batch, int rows, boolean compressRequest) throws Exception {
        try (Client client = builderV2(db).compressClientRequest(compressRequest).build()) {
            InsertSettings settings = new InsertSettings();
            settings.setDatabase(db);
            settings.setQueryId(UUID.randomUUID().toString());
            settings.setDeduplicationToken(UUID.randomUUID().toString());
            settings.serverSetting("input_format_skip_unknown_fields", "1");
            try (InsertResponse response = client.insert(table, out -> {
                writeRows(out, batch, rows);
                out.close();
            }, ClickHouseFormat.RowBinary, settings).get(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                return result("writtenRows", response.getWrittenRows());
            }
        }
    }

    /** A plain HTTP POST whose body is one LZ4 frame (lz4-java's encoder), sent with Content-Encoding: lz4. */
    Map<String, Object> insertLz4Frame(String db, String table, String batch, int rows) throws Exception {
        byte[] raw = rowBinary(batch, rows);
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        try (LZ4FrameOutputStream lz4 = new LZ4FrameOutputStream(framed)) {
            lz4.write(raw);
        }
        String query = URLEncoder.encode("INSERT INTO " + table + " FORMAT RowBinary", StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/?database=" + db + "&query=" + query))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)))
                .header("Content-Encoding", "lz4")
                .POST(HttpRequest.BodyPublishers.ofByteArray(framed.toByteArray()))
                .build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        Map<String, Object> m = result("status", response.statusCode());
        m.put("summary", response.headers().firstValue("X-ClickHouse-Summary").orElse(null));
        m.put("body", response.body().trim());
        m.put("rawBytes", raw.length);
        m.put("sentBytes", framed.size());
        if (response.statusCode() != 200) {
            m.put("code", Integer.parseInt(response.headers().firstValue("X-ClickHouse-Exception-Code").orElse("-1")));
        }
        return m;
    }

    /** client-v2's HTTP compression: it frames the body itself (commons-compress) with Content-Encoding: lz4. */
    Map<String, Object> insertV2HttpLz4(String db, String table, String batch, int rows) throws Exception {
        try (Client client = builderV2(db).useHttpCompression(true).compressClientRequest(true).build()) {
            InsertSettings settings = new InsertSettings();
            settings.setDatabase(db);
            try (InsertResponse response = client.insert(table, out -> {
                writeRows(out, batch, rows);
                out.close();
            }, ClickHouseFormat.RowBinary, settings).get(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                return result("writtenRows", response.getWrittenRows());
            }
        }
    }

    // ---- output

    static Map<String, Object> result(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return m;
    }

    static String json(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean || v instanceof Number) return v.toString();
        if (v instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            m.forEach((k, x) -> parts.add(json(String.valueOf(k)) + ":" + json(x)));
            return "{" + String.join(",", parts) + "}";
        }
        if (v instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            l.forEach(x -> parts.add(json(x)));
            return "[" + String.join(",", parts) + "]";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toString().toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return sb.append('"').toString();
    }
}
