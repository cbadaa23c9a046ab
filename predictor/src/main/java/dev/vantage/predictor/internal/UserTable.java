package dev.vantage.predictor.internal;

/**
 * Users by key hash: an open-addressing table of {@link UserState} references (linear probing, load at most 3/8,
 * backward-shift deletion). The key lives in the state itself, so a lookup touches the table slot and the user's
 * state, which the caller needs anyway: one cache miss fewer than a map with separate key and value arrays.
 *
 * <p>Threading: owned by the model owner thread.
 */
final class UserTable {

    private UserState[] table = new UserState[64];
    private int mask = 63;
    private int size;

    int size() {
        return size;
    }

    /** The user with this key, or null. */
    UserState get(long key) {
        UserState[] t = table;
        int i = slot(key, mask);
        UserState u;
        while ((u = t[i]) != null) {
            if (u.key == key) {
                return u;
            }
            i = (i + 1) & mask;
        }
        return null;
    }

    /** Adds a user whose key is not in the table. */
    void add(UserState user) {
        if ((size + 1) * 8 > table.length * 3) {
            resize(table.length * 2);
        }
        insert(table, mask, user);
        size++;
    }

    /** Removes the user with this key, if present. */
    void remove(long key) {
        UserState[] t = table;
        int i = slot(key, mask);
        while (t[i] != null && t[i].key != key) {
            i = (i + 1) & mask;
        }
        if (t[i] == null) {
            return;
        }
        t[i] = null;
        size--;
        // Backward-shift deletion: move later members of the probe run into the hole when their home allows it.
        int hole = i;
        for (int j = (i + 1) & mask; t[j] != null; j = (j + 1) & mask) {
            int home = slot(t[j].key, mask);
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                t[hole] = t[j];
                t[j] = null;
                hole = j;
            }
        }
    }

    private static void insert(UserState[] t, int mask, UserState user) {
        int i = slot(user.key, mask);
        while (t[i] != null) {
            i = (i + 1) & mask;
        }
        t[i] = user;
    }

    private void resize(int capacity) {
        UserState[] old = table;
        table = new UserState[capacity];
        mask = capacity - 1;
        for (UserState u : old) {
            if (u != null) {
                insert(table, mask, u);
            }
        }
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
