package dev.vantage.proxy.internal.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

class AffinityCookieCodecTest {

    private static final long NOW = 1_800_000_000L;

    /** Two targets: site-a|10.0.0.1:80 and site-b|10.0.0.2:80. */
    private static final class TwoTargets implements AffinityCookieCodec.Targets {
        final String[] sites = {"site-a", "site-b"};
        final String[] upstreams = {"10.0.0.1:80", "10.0.0.2:80"};

        @Override
        public int indexOf(long targetId) {
            for (int i = 0; i < 2; i++) {
                if (targetId(i) == targetId) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public byte[] siteBytes(int index) {
            return sites[index].getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] upstreamBytes(int index) {
            return upstreams[index].getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public long targetId(int index) {
            return Hashing.hash(sites[index] + "|" + upstreams[index]);
        }
    }

    private final TwoTargets targets = new TwoTargets();

    private static AffinityCookieCodec codec(String... keys) {
        return new AffinityCookieCodec(AffinityCookieCodec.utf8(List.of(keys)));
    }

    private static int verify(AffinityCookieCodec codec, String value, AffinityCookieCodec.Targets targets, long now) {
        return codec.verify(value, 0, value.length(), targets, now);
    }

    @Test
    void shouldVerifyAnIssuedCookieAndNameItsTarget() {
        AffinityCookieCodec codec = codec("0123456789abcdef-key-one");
        String cookie = codec.issue(targets, 1, NOW + 60);

        assertThat(cookie).hasSize(AffinityCookieCodec.ENCODED_LENGTH).matches("[A-Za-z0-9_-]+");
        assertThat(verify(codec, cookie, targets, NOW)).isEqualTo(AffinityCookieCodec.OK);
        assertThat(codec.lastTargetIndex()).isEqualTo(1);
    }

    @Test
    void shouldRejectEveryCookieWithOneCharacterChanged() {
        AffinityCookieCodec codec = codec("0123456789abcdef-key-one");
        String cookie = codec.issue(targets, 0, NOW + 60);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int accepted = 0;
        for (int i = 0; i < cookie.length(); i++) {
            for (int k = 0; k < alphabet.length(); k += 7) {
                char replacement = alphabet.charAt(k);
                if (replacement == cookie.charAt(i)) {
                    continue;
                }
                String tampered = cookie.substring(0, i) + replacement + cookie.substring(i + 1);
                if (verify(codec, tampered, targets, NOW) == AffinityCookieCodec.OK) {
                    accepted++;
                }
            }
        }
        assertThat(accepted).isZero();
    }

    @Test
    void shouldRejectAnExpiredCookie() {
        AffinityCookieCodec codec = codec("0123456789abcdef-key-one");
        String cookie = codec.issue(targets, 0, NOW + 60);

        assertThat(verify(codec, cookie, targets, NOW + 60)).isEqualTo(AffinityCookieCodec.EXPIRED);
        assertThat(verify(codec, cookie, targets, NOW + 59)).isEqualTo(AffinityCookieCodec.OK);
    }

    @Test
    void shouldRejectGarbledValues() {
        AffinityCookieCodec codec = codec("0123456789abcdef-key-one");
        String cookie = codec.issue(targets, 0, NOW + 60);

        assertThat(verify(codec, "", targets, NOW)).isEqualTo(AffinityCookieCodec.GARBLED);
        assertThat(verify(codec, cookie.substring(1), targets, NOW)).isEqualTo(AffinityCookieCodec.GARBLED);
        assertThat(verify(codec, cookie + "A", targets, NOW)).isEqualTo(AffinityCookieCodec.GARBLED);
        assertThat(verify(codec, "!" + cookie.substring(1), targets, NOW)).isEqualTo(AffinityCookieCodec.GARBLED);
        assertThat(verify(codec, "é" + cookie.substring(1), targets, NOW)).isEqualTo(AffinityCookieCodec.GARBLED);
    }

    @Test
    void shouldRejectACookieSignedWithAnotherKey() {
        String cookie = codec("attacker-key-0123456789").issue(targets, 0, NOW + 60);

        assertThat(verify(codec("0123456789abcdef-key-one"), cookie, targets, NOW))
                .isEqualTo(AffinityCookieCodec.BAD_SIGNATURE);
    }

    @Test
    void shouldAcceptCookiesOfTheOldKeyAfterRotationAndSignWithTheNewOne() {
        String oldCookie = codec("old-key-0123456789abcdef").issue(targets, 1, NOW + 60);
        AffinityCookieCodec rotated = codec("new-key-0123456789abcdef", "old-key-0123456789abcdef");

        assertThat(verify(rotated, oldCookie, targets, NOW)).isEqualTo(AffinityCookieCodec.OK);
        String newCookie = rotated.issue(targets, 1, NOW + 60);
        assertThat(verify(codec("new-key-0123456789abcdef"), newCookie, targets, NOW)).isEqualTo(AffinityCookieCodec.OK);
        assertThat(verify(codec("new-key-0123456789abcdef"), oldCookie, targets, NOW))
                .isEqualTo(AffinityCookieCodec.BAD_SIGNATURE);
    }

    @Test
    void shouldRejectACookieWhoseTargetIsNoLongerKnown() {
        AffinityCookieCodec codec = codec("0123456789abcdef-key-one");
        String cookie = codec.issue(targets, 1, NOW + 60);
        TwoTargets changed = new TwoTargets();
        changed.upstreams[1] = "10.0.0.3:80";

        assertThat(verify(codec, cookie, changed, NOW)).isEqualTo(AffinityCookieCodec.UNKNOWN_TARGET);
    }

    @Test
    void shouldComputeTheSameMacAsTheJdk() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            byte[] key = new byte[1 + random.nextInt(100)];
            byte[] message = new byte[random.nextInt(200)];
            random.nextBytes(key);
            random.nextBytes(message);
            Mac jdk = Mac.getInstance("HmacSHA256");
            jdk.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] expected = jdk.doFinal(message);

            HmacSha256 ours = new HmacSha256(key);
            byte[] actual = new byte[32];
            ours.begin();
            ours.update(message, 0, message.length);
            ours.finish(actual, 0);

            assertThat(actual).isEqualTo(expected);
        }
    }
}
