package io.wattflow.api.usage;

import io.wattflow.api.problem.ApiProblem;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * A meter's usage as a Green Button feed: NAESB ESPI (REQ.21) resources in an Atom feed. One {@code UsagePoint} (the
 * meter), its {@code MeterReading} (the channel), the {@code ReadingType} that says how to read the values, and an
 * {@code IntervalBlock} per local day of the report with an {@code IntervalReading} per bucket that has data.
 *
 * <p>Values are the exact integers of {@code usage_15m}: milli-Wh, so {@code uom} 72 (Wh) with
 * {@code powerOfTenMultiplier} -3; delta data per interval ({@code accumulationBehaviour} 4); {@code flowDirection}
 * 1 for import (delivered) and 19 for export (received). Every reading says its quality: 0 (valid) for measured data.
 * Times are Unix seconds, as ESPI has them. Element order follows the ESPI schema's sequences.
 */
public final class GreenButtonFeed {
    static final String ATOM = "http://www.w3.org/2005/Atom";
    static final String ESPI = "http://naesb.org/espi";
    private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();
    private static final DateTimeFormatter ATOM_TIME = DateTimeFormatter.ISO_INSTANT;

    /** ESPI QualityOfReading: measured and passed the pipeline's checks. */
    static final int QUALITY_VALID = 0;

    private GreenButtonFeed() {
    }

    /**
     * The granularity a feed is asked for: 15 minutes unless given, and only 15 minutes or hours, whose intervals
     * have one length ({@code intervalLength}); days and months do not.
     */
    public static String granularity(String requested) {
        if (requested == null || requested.isBlank()) {
            return Granularity.QUARTER_HOUR.code();
        }
        if (!requested.equals(Granularity.QUARTER_HOUR.code()) && !requested.equals(Granularity.HOUR.code())) {
            throw ApiProblem.invalidParameter("a Green Button feed (Accept: application/atom+xml) has intervals of one length: "
                    + "granularity must be 15m or hour; got '" + requested + "'");
        }
        return requested;
    }

    /** The OBIS code of a channel: active energy import (1.8.0) or export (2.8.0), all tariffs. */
    public static String obis(String channel) {
        return channel.equals("export") ? "2.8.0" : "1.8.0";
    }

    public static String render(UsageReport report, ZoneId zone, Instant updated) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter xml = XML.createXMLStreamWriter(out);
            new Writer(xml, report, zone, ATOM_TIME.format(updated)).feed();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the Green Button feed: " + e.getMessage(), e);
        }
        return out.toString();
    }

    private record Writer(XMLStreamWriter xml, UsageReport report, ZoneId zone, String updated) {
        void feed() throws XMLStreamException {
            String meter = report.meterId();
            String channel = report.channel();
            String usagePoint = "/espi/1_1/resource/UsagePoint/" + meter;
            String meterReading = usagePoint + "/MeterReading/" + channel;
            String readingType = "/espi/1_1/resource/ReadingType/" + channel + "-" + report.granularity();

            xml.writeStartDocument(StandardCharsets.UTF_8.name(), "1.0");
            start(ATOM, "feed");
            xml.writeDefaultNamespace(ATOM);
            text("id", id("feed", meter, channel, report.granularity(), first(), last()));
            text("title", "Wattflow usage of meter " + meter + ", " + channel + " (OBIS " + obis(channel) + ")");
            text("updated", updated);
            writeLink("self", "/api/v1/meters/" + meter + "/usage");

            entry(id("UsagePoint", meter), "Meter " + meter, usagePoint, List.of(new Link("up", "/espi/1_1/resource/UsagePoint"),
                    new Link("related", usagePoint + "/MeterReading")), () -> {
                espi("UsagePoint");
                start(ESPI, "ServiceCategory");
                espiText("kind", 0); // electricity
                xml.writeEndElement();
                xml.writeEndElement();
            });
            entry(id("MeterReading", meter, channel), meter + " " + channel + " (OBIS " + obis(channel) + ")", meterReading,
                    List.of(new Link("up", usagePoint + "/MeterReading"), new Link("related", meterReading + "/IntervalBlock"),
                            new Link("related", readingType)), () -> {
                espi("MeterReading");
                xml.writeEndElement();
            });
            entry(id("ReadingType", channel, report.granularity()), "Energy " + (channel.equals("export") ? "received" : "delivered")
                    + " per " + report.granularity() + ", Wh x 10^-3", readingType, List.of(new Link("up", "/espi/1_1/resource/ReadingType")), () -> {
                espi("ReadingType");
                espiText("accumulationBehaviour", 4); // delta data: the energy of each interval
                espiText("commodity", 1); // electricity, secondary metered
                espiText("dataQualifier", 12); // normal
                espiText("flowDirection", channel.equals("export") ? 19 : 1);
                espiText("intervalLength", Granularity.fromCode(report.granularity()) == Granularity.HOUR ? 3600 : 900);
                espiText("kind", 12); // energy
                espiText("phase", 0); // not known to the pipeline
                espiText("powerOfTenMultiplier", -3);
                espiText("timeAttribute", 0);
                espiText("uom", 72); // Wh
                xml.writeEndElement();
            });
            for (Map.Entry<LocalDate, List<UsageReport.Point>> day : byLocalDay().entrySet()) {
                String self = meterReading + "/IntervalBlock/" + day.getKey();
                long start = day.getKey().atStartOfDay(zone).toEpochSecond();
                long end = day.getKey().plusDays(1).atStartOfDay(zone).toEpochSecond();
                entry(id("IntervalBlock", meter, channel, report.granularity(), day.getKey().toString(), zone.getId()),
                        "Day " + day.getKey() + " (" + zone.getId() + ")", self, List.of(new Link("up", meterReading + "/IntervalBlock")), () -> {
                    espi("IntervalBlock");
                    interval("interval", start, end - start);
                    for (UsageReport.Point point : day.getValue()) {
                        long pointStart = epochSecond(point.start());
                        start(ESPI, "IntervalReading");
                        start(ESPI, "ReadingQuality");
                        espiText("quality", QUALITY_VALID);
                        xml.writeEndElement();
                        interval("timePeriod", pointStart, epochSecond(point.end()) - pointStart);
                        espiText("value", point.kwh().movePointRight(6).longValueExact()); // milli-Wh, exact
                        xml.writeEndElement();
                    }
                    xml.writeEndElement();
                });
            }
            xml.writeEndElement();
            xml.writeEndDocument();
        }

        private Map<LocalDate, List<UsageReport.Point>> byLocalDay() {
            Map<LocalDate, List<UsageReport.Point>> days = new LinkedHashMap<>();
            for (UsageReport.Point point : report.points()) {
                LocalDate day = OffsetDateTime.parse(point.start()).atZoneSameInstant(zone).toLocalDate();
                days.computeIfAbsent(day, ignored -> new ArrayList<>()).add(point);
            }
            return days;
        }

        private String first() {
            return report.points().isEmpty() ? "" : report.points().get(0).start();
        }

        private String last() {
            return report.points().isEmpty() ? "" : report.points().get(report.points().size() - 1).end();
        }

        private interface Content {
            void write() throws XMLStreamException;
        }

        private record Link(String rel, String href) {
        }

        private void writeLink(String rel, String href) throws XMLStreamException {
            xml.writeEmptyElement("", "link", ATOM);
            xml.writeAttribute("rel", rel);
            xml.writeAttribute("href", href);
        }

        /** An Atom entry: id, links (self first), title, content holding one ESPI resource, published and updated. */
        private void entry(String id, String title, String self, List<Link> links, Content content) throws XMLStreamException {
            start(ATOM, "entry");
            text("id", id);
            writeLink("self", self);
            for (Link link : links) {
                writeLink(link.rel(), link.href());
            }
            text("title", title);
            start(ATOM, "content");
            xml.writeAttribute("type", "xml");
            content.write();
            xml.writeEndElement();
            text("published", updated);
            text("updated", updated);
            xml.writeEndElement();
        }

        private void text(String name, String value) throws XMLStreamException {
            start(ATOM, name);
            xml.writeCharacters(value);
            xml.writeEndElement();
        }

        /** The root of an ESPI resource: it declares the ESPI namespace as the default for its elements. */
        private void espi(String resource) throws XMLStreamException {
            start(ESPI, resource);
            xml.writeDefaultNamespace(ESPI);
        }

        /** Unprefixed: the default namespace in scope is the element's (Atom's in the feed, ESPI's inside a resource). */
        private void start(String namespace, String name) throws XMLStreamException {
            xml.writeStartElement("", name, namespace);
        }

        private void espiText(String name, long value) throws XMLStreamException {
            start(ESPI, name);
            xml.writeCharacters(Long.toString(value));
            xml.writeEndElement();
        }

        private void interval(String name, long start, long duration) throws XMLStreamException {
            start(ESPI, name);
            espiText("duration", duration);
            espiText("start", start);
            xml.writeEndElement();
        }
    }

    /** A stable urn:uuid for a resource: the same meter, channel and range give the same ids in every feed. */
    static String id(String... parts) {
        return "urn:uuid:" + UUID.nameUUIDFromBytes(("wattflow:" + String.join("|", parts)).getBytes(StandardCharsets.UTF_8));
    }

    private static long epochSecond(String time) {
        return OffsetDateTime.parse(time).toEpochSecond();
    }
}
