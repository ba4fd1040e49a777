package org.blip4j.testutil;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.commons.annotation.Testable;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Records which goldens each {@link ComparesGoldens} test class compared (through {@link Fixture}'s assertions) and,
 * once every test method of the class has run (passed, or skipped by an assumption or {@code @Disabled}), fails it if
 * a golden that {@link GoldenTable} assigns to it was never compared. A partial run (a method filter) or a failed
 * test skips the check: the failure is already reported.
 */
public final class GoldenCoverage implements TestWatcher, AfterAllCallback {
    private static final Map<Class<?>, Set<String>> COMPARED = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Set<Method>> PASSED = new ConcurrentHashMap<>();
    private static final Set<Class<?>> TROUBLE = ConcurrentHashMap.newKeySet();

    /** Called by {@link Fixture} for each golden compared; attributed to the {@link ComparesGoldens} class calling. */
    static void compared(String key) {
        StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(s -> s.map(f -> outermost(f.getDeclaringClass()))
                        .filter(c -> c.isAnnotationPresent(ComparesGoldens.class))
                        .findFirst())
                .ifPresent(c -> COMPARED.computeIfAbsent(c, x -> ConcurrentHashMap.newKeySet())
                        .add(key));
    }

    static Class<?> outermost(Class<?> c) {
        while (c.getEnclosingClass() != null) {
            c = c.getEnclosingClass();
        }
        return c;
    }

    /** The goldens a class has compared so far. */
    public static Set<String> comparedBy(Class<?> c) {
        return new TreeSet<>(COMPARED.getOrDefault(c, Set.of()));
    }

    private static void ran(ExtensionContext ctx) {
        ctx.getTestMethod()
                .ifPresent(m -> PASSED.computeIfAbsent(ctx.getRequiredTestClass(), x -> ConcurrentHashMap.newKeySet())
                        .add(m));
    }

    @Override
    public void testSuccessful(ExtensionContext ctx) {
        ran(ctx);
    }

    @Override
    public void testFailed(ExtensionContext ctx, Throwable cause) {
        TROUBLE.add(ctx.getRequiredTestClass());
    }

    /** A test skipped by an assumption (e.g. no nlvr/ folder) or disabled has had its chance: its goldens count. */
    @Override
    public void testAborted(ExtensionContext ctx, Throwable cause) {
        ran(ctx);
    }

    @Override
    public void testDisabled(ExtensionContext ctx, Optional<String> reason) {
        ran(ctx);
    }

    @Override
    public void afterAll(ExtensionContext ctx) {
        Class<?> c = ctx.getRequiredTestClass();
        if (TROUBLE.contains(c)) {
            return;
        }
        Set<Method> passed = PASSED.getOrDefault(c, Set.of());
        for (Method m : c.getDeclaredMethods()) {
            if (AnnotationSupport.isAnnotated(m, Testable.class) && !passed.contains(m)) {
                System.out.println("GOLDENS " + c.getSimpleName() + ": partial run, coverage not checked");
                return;
            }
        }
        Set<String> claimed = GoldenTable.load().claimedBy(c.getSimpleName(), GoldenTable.fixtureKeys());
        Set<String> missing = new TreeSet<>(claimed);
        missing.removeAll(COMPARED.getOrDefault(c, Set.of()));
        if (!missing.isEmpty()) {
            fail(c.getSimpleName() + " owns these goldens in " + GoldenTable.RESOURCE + " but never compared them: "
                    + missing);
        }
        System.out.printf("GOLDENS %s: compared all %d goldens it owns%n", c.getSimpleName(), claimed.size());
    }
}
