package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.vantage.config.CidrLocation;
import dev.vantage.config.GeoPoint;

class CidrTableTest {

    @TempDir
    Path dir;

    private static String regionOf(CidrTable table, String address) throws Exception {
        int entry = table.lookup(InetAddress.getByName(address));
        return entry < 0 ? null : table.entry(entry).region();
    }

    @Test
    void shouldPickTheLongestMatchingIpv4Prefix() throws Exception {
        CidrTable table = CidrTable.of(List.of(
                new CidrLocation("10.0.0.0/8", new GeoPoint(50, 8), "wide"),
                new CidrLocation("10.1.0.0/16", new GeoPoint(48, 11), "narrow"),
                new CidrLocation("10.1.2.3/32", new GeoPoint(52, 13), "host")), null);

        assertThat(regionOf(table, "10.200.0.1")).isEqualTo("wide");
        assertThat(regionOf(table, "10.1.9.9")).isEqualTo("narrow");
        assertThat(regionOf(table, "10.1.2.3")).isEqualTo("host");
        assertThat(regionOf(table, "11.0.0.1")).isNull();
    }

    @Test
    void shouldPickTheLongestMatchingIpv6Prefix() throws Exception {
        CidrTable table = CidrTable.of(List.of(
                new CidrLocation("2001:db8::/32", new GeoPoint(50, 8), "wide"),
                new CidrLocation("2001:db8:1:2::/64", new GeoPoint(48, 11), "net64"),
                new CidrLocation("2001:db8:1:2:3::/80", new GeoPoint(52, 13), "net80")), null);

        assertThat(regionOf(table, "2001:db8:ffff::1")).isEqualTo("wide");
        assertThat(regionOf(table, "2001:db8:1:2:ffff::1")).isEqualTo("net64");
        assertThat(regionOf(table, "2001:db8:1:2:3:4:5:6")).isEqualTo("net80");
        assertThat(regionOf(table, "2001:db9::1")).isNull();
        assertThat(regionOf(table, "10.0.0.1")).isNull();
    }

    @Test
    void shouldMatchEverythingWithADefaultRouteButPreferLongerOnes() throws Exception {
        CidrTable table = CidrTable.of(List.of(
                new CidrLocation("0.0.0.0/0", new GeoPoint(0, 0), "any-v4"),
                new CidrLocation("192.168.0.0/16", new GeoPoint(1, 1), "lan")), null);

        assertThat(regionOf(table, "8.8.8.8")).isEqualTo("any-v4");
        assertThat(regionOf(table, "192.168.1.1")).isEqualTo("lan");
        assertThat(regionOf(table, "::1")).isNull();
    }

    @Test
    void shouldReadACsvFileWithAHeaderLine() throws Exception {
        Path csv = dir.resolve("cidr.csv");
        Files.writeString(csv, "cidr,lat,lon,region\n203.0.113.0/24,35.68,139.69,ap-northeast\n"
                + "# comment\n\n2001:db8::/32,40.71,-74.0,us-east\n");
        CidrTable table = CidrTable.of(List.of(), csv);

        assertThat(table.size()).isEqualTo(2);
        assertThat(regionOf(table, "203.0.113.77")).isEqualTo("ap-northeast");
        assertThat(regionOf(table, "2001:db8::42")).isEqualTo("us-east");
        assertThat(table.entry(0).location()).isEqualTo(new GeoPoint(35.68, 139.69));
    }

    @Test
    void shouldReportEveryMalformedRowWithItsLine() throws Exception {
        Path csv = dir.resolve("bad.csv");
        Files.writeString(csv, "10.0.0.0/33,1,2,x\n10.0.0.0/8,north,2,x\n10.0.0.0/8,91,2,x\nexample.com/8,1,2,x\n"
                + "10.0.0.0/8,1\n10.0.0.0/8,1,2,ok\n");

        assertThatThrownBy(() -> CidrTable.of(List.of(new CidrLocation("300.1.1.1/8", new GeoPoint(0, 0), null)), csv))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("location.cidrLocations[0]: cidr 300.1.1.1/8")
                .hasMessageContaining("bad.csv:1: cidr 10.0.0.0/33")
                .hasMessageContaining("bad.csv:2: lat,lon north,2")
                .hasMessageContaining("bad.csv:3: lat,lon 91.0,2.0 (expected: -90..90,-180..180)")
                .hasMessageContaining("bad.csv:4: cidr example.com/8")
                .hasMessageContaining("bad.csv:5: 10.0.0.0/8,1 (expected: cidr,lat,lon,region)")
                .hasMessageNotContaining("bad.csv:6");
    }
}
