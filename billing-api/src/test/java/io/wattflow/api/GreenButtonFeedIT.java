package io.wattflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/** A meter's usage as a Green Button (ESPI) Atom feed, from a real PostgreSQL, checked against the schemas' rules. */
class GreenButtonFeedIT {
    private static final String DATABASE = "greenbutton_it";
    private static final String ATOM = "http://www.w3.org/2005/Atom";
    private static final String ESPI = "http://naesb.org/espi";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static String operator;
    private static ApiFixture api;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        try (Connection connection = ApiFixture.database(DATABASE).connect(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE usage_15m, api_token");
            operator = ApiFixture.addToken(connection, "greenbutton", "operator");
            // 1 Wh every quarter hour of 25 and 26 October 2026 in Berlin (the 25th has 100), but for 10:00Z on the 25th
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) "
                    + "SELECT 'MTR-GB', 'import', start, 1000, 1 FROM generate_series(timestamptz '2026-10-24T22:00:00Z', "
                    + "timestamptz '2026-10-26T22:45:00Z', interval '15 minutes') AS start WHERE start <> '2026-10-25T10:00:00Z'");
            statement.execute("INSERT INTO usage_15m (meter_id, channel, bucket_start, energy_mwh, reading_count) "
                    + "SELECT 'MTR-GB', 'export', start, 250, 1 FROM generate_series(timestamptz '2026-10-25T10:00:00Z', "
                    + "timestamptz '2026-10-25T10:45:00Z', interval '15 minutes') AS start");
        }
        api = ApiFixture.start(DATABASE);
        SchemaFactory factory = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
        schema = factory.newSchema(GreenButtonFeedIT.class.getResource("/greenbutton/atom-subset.xsd"));
    }

    @AfterAll
    static void stop() {
        api.close();
    }

    private static HttpResponse<String> get(String pathAndQuery, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.baseUrl() + pathAndQuery)).header("Authorization", "Bearer " + operator);
        if (accept != null) {
            request.header("Accept", accept);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String feed(String query) throws Exception {
        HttpResponse<String> response = get("/api/v1/meters/MTR-GB/usage?" + query, "application/atom+xml");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/atom+xml"));
        return response.body();
    }

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml)));
    }

    private static void validate(String xml) throws Exception {
        schema.newValidator().validate(new StreamSource(new StringReader(xml)));
    }

    private static List<Element> children(Element parent, String namespace, String name) {
        List<Element> found = new ArrayList<>();
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && namespace.equals(element.getNamespaceURI())
                    && (name == null || name.equals(element.getLocalName()))) {
                found.add(element);
            }
        }
        return found;
    }

    private static Element resource(Element entry) {
        return children(children(entry, ATOM, "content").get(0), ESPI, null).get(0);
    }

    private static String text(Element parent, String name) {
        return children(parent, ESPI, name).get(0).getTextContent();
    }

    private static List<Element> entriesHolding(Document feed, String resource) {
        return children(feed.getDocumentElement(), ATOM, "entry").stream()
                .filter(entry -> resource(entry).getLocalName().equals(resource)).toList();
    }

    @Test
    void theFeedFollowsTheSchemasAndAtomsCardinalities() throws Exception {
        String xml = feed("from=2026-10-25&to=2026-10-27&tz=Europe/Berlin");

        validate(xml);
        Element feed = parse(xml).getDocumentElement();
        assertThat(feed.getNamespaceURI()).isEqualTo(ATOM);
        assertThat(feed.getLocalName()).isEqualTo("feed");
        List<Element> holders = new ArrayList<>(children(feed, ATOM, "entry"));
        holders.add(feed);
        for (Element holder : holders) {
            for (String required : List.of("id", "title", "updated")) {
                assertThat(children(holder, ATOM, required)).as(holder.getLocalName() + " " + required).hasSize(1);
            }
        }
        assertThat(children(feed, ATOM, "entry")).extracting(entry -> resource(entry).getLocalName())
                .containsExactly("UsagePoint", "MeterReading", "ReadingType", "IntervalBlock", "IntervalBlock");
    }

    @Test
    void aReadingTypeOutOfTheSchemasOrderOrAnElementOutsideTheEspiNamespaceFailsValidation() throws Exception {
        String xml = feed("from=2026-10-25&to=2026-10-26&tz=Europe/Berlin");
        String swapped = xml.replace("<kind>12</kind><phase>0</phase>", "<phase>0</phase><kind>12</kind>");
        String foreign = xml.replace("<MeterReading xmlns=\"http://naesb.org/espi\">", "<MeterReading xmlns=\"http://naesb.org/espi/customer\">");

        assertThat(swapped).isNotEqualTo(xml);
        assertThat(foreign).isNotEqualTo(xml);
        assertThatThrownBy(() -> validate(swapped)).isInstanceOf(SAXException.class);
        assertThatThrownBy(() -> validate(foreign)).isInstanceOf(SAXException.class);
    }

    @Test
    void quarterHoursOfImportAreExactMilliWattHoursWithTheirQualityInOneBlockPerLocalDay() throws Exception {
        Document feed = parse(feed("from=2026-10-25&to=2026-10-27&tz=Europe/Berlin"));

        Element readingType = resource(entriesHolding(feed, "ReadingType").get(0));
        List<String> fields = children(readingType, ESPI, null).stream().map(field -> field.getLocalName() + "=" + field.getTextContent()).toList();
        assertThat(fields).containsExactly("accumulationBehaviour=4", "commodity=1", "dataQualifier=12", "flowDirection=1", "intervalLength=900",
                "kind=12", "phase=0", "powerOfTenMultiplier=-3", "timeAttribute=0", "uom=72");

        List<Element> blocks = entriesHolding(feed, "IntervalBlock").stream().map(GreenButtonFeedIT::resource).toList();
        Element autumn = blocks.get(0);
        Element interval = children(autumn, ESPI, "interval").get(0);
        assertThat(text(interval, "start")).isEqualTo(Long.toString(Instant.parse("2026-10-24T22:00:00Z").getEpochSecond()));
        assertThat(text(interval, "duration")).isEqualTo("90000"); // 25 hours
        List<Element> readings = children(autumn, ESPI, "IntervalReading");
        assertThat(readings).hasSize(99); // 100 quarter hours, one without data
        assertThat(children(blocks.get(1), ESPI, "IntervalReading")).hasSize(96);
        Element first = readings.get(0);
        assertThat(children(first, ESPI, null)).extracting(Element::getLocalName).containsExactly("ReadingQuality", "timePeriod", "value");
        assertThat(text(children(first, ESPI, "ReadingQuality").get(0), "quality")).isEqualTo("0");
        Element period = children(first, ESPI, "timePeriod").get(0);
        assertThat(text(period, "duration") + " " + text(period, "start"))
                .isEqualTo("900 " + Instant.parse("2026-10-24T22:00:00Z").getEpochSecond());
        long total = 0;
        NodeList values = feed.getElementsByTagNameNS(ESPI, "value");
        for (int i = 0; i < values.getLength(); i++) {
            assertThat(values.item(i).getTextContent()).isEqualTo("1000");
            total += Long.parseLong(values.item(i).getTextContent());
        }
        assertThat(total).isEqualTo(195_000); // 195 quarter hours of 1 Wh, in milli-Wh
        NodeList starts = readings.get(48).getElementsByTagNameNS(ESPI, "start"); // 10:00Z has no data
        assertThat(starts.item(0).getTextContent()).isEqualTo(Long.toString(Instant.parse("2026-10-25T10:15:00Z").getEpochSecond()));
    }

    @Test
    void hourlyFeedsAndExportSayTheirIntervalLengthFlowDirectionAndObisCode() throws Exception {
        Document hourly = parse(feed("from=2026-10-25&to=2026-10-26&tz=Europe/Berlin&granularity=hour"));
        String exportXml = feed("from=2026-10-25&to=2026-10-26&tz=Europe/Berlin&channel=export");
        validate(exportXml);
        Document export = parse(exportXml);

        Element hourlyType = resource(entriesHolding(hourly, "ReadingType").get(0));
        assertThat(text(hourlyType, "intervalLength")).isEqualTo("3600");
        List<String> hourValues = new ArrayList<>();
        NodeList values = hourly.getElementsByTagNameNS(ESPI, "value");
        for (int i = 0; i < values.getLength(); i++) {
            hourValues.add(values.item(i).getTextContent());
        }
        assertThat(hourValues).hasSize(25).containsOnly("4000", "3000").filteredOn("3000"::equals).hasSize(1);
        assertThat(text(resource(entriesHolding(export, "ReadingType").get(0)), "flowDirection")).isEqualTo("19");
        assertThat(export.getDocumentElement().getElementsByTagNameNS(ATOM, "title").item(0).getTextContent()).contains("OBIS 2.8.0");
        assertThat(children(entriesHolding(export, "MeterReading").get(0), ATOM, "title").get(0).getTextContent())
                .isEqualTo("MTR-GB export (OBIS 2.8.0)");
        assertThat(export.getElementsByTagNameNS(ESPI, "IntervalReading").getLength()).isEqualTo(4);
    }

    @Test
    void aFeedOfDaysIsRefusedAndJsonStaysTheDefault() throws Exception {
        HttpResponse<String> days = get("/api/v1/meters/MTR-GB/usage?from=2026-10-25&to=2026-10-27&granularity=day", "application/atom+xml");
        HttpResponse<String> plain = get("/api/v1/meters/MTR-GB/usage?from=2026-10-25&to=2026-10-27", null);
        HttpResponse<String> generated = get("/api/v1/meters/MTR-GB/usage?from=2026-10-25&to=2026-10-27",
                "application/json, text/csv, application/atom+xml, application/problem+json");

        assertThat(days.statusCode()).isEqualTo(400);
        assertThat(days.body()).contains("granularity must be 15m or hour; got 'day'");
        assertThat(plain.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        assertThat(generated.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    }
}
