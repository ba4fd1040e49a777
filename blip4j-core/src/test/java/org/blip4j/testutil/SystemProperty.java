package org.blip4j.testutil;

/** A system property set for a test's scope and put back (value or absence) on close. */
public final class SystemProperty implements AutoCloseable {
    private final String name;
    private final String old;

    private SystemProperty(String name, String value) {
        this.name = name;
        this.old = System.getProperty(name);
        System.setProperty(name, value);
    }

    /** Sets {@code name} to {@code value} until {@link #close()}. */
    public static SystemProperty set(String name, String value) {
        return new SystemProperty(name, value);
    }

    @Override
    public void close() {
        if (old == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, old);
        }
    }
}
