package dev.vantage.predictor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class UserTableTest {

    @Test
    void shouldAgreeWithAHashMapUnderRandomAddsAndRemoves() {
        UserTable table = new UserTable();
        Map<Long, UserState> reference = new HashMap<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int step = 0; step < 200_000; step++) {
            // Few distinct keys, so that probe runs collide, wrap around and get holes punched in them.
            long key = random.nextInt(3_000) * 0x10000L;
            if (random.nextInt(3) == 0) {
                table.remove(key);
                reference.remove(key);
            } else if (!reference.containsKey(key)) {
                UserState u = new UserState(key, 2, 1);
                table.add(u);
                reference.put(key, u);
            }
            long probe = random.nextInt(3_000) * 0x10000L;
            assertThat(table.get(probe)).isSameAs(reference.get(probe));
        }
        assertThat(table.size()).isEqualTo(reference.size());
        for (Map.Entry<Long, UserState> e : reference.entrySet()) {
            assertThat(table.get(e.getKey())).isSameAs(e.getValue());
        }
    }
}
