package org.blip4j.testutil;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class that owns goldens in {@code golden-coverage.txt}: after the class has run completely, it fails
 * unless every fixture golden the table assigns to it went through one of {@link Fixture}'s {@code assert*} methods.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(GoldenCoverage.class)
public @interface ComparesGoldens {}
