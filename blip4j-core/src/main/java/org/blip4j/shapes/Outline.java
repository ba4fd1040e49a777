package org.blip4j.shapes;

/**
 * The proportions an object's outline is drawn with. docs/shapes.md fixes what each shape is (a 2 : 1 rectangle, an
 * upright diamond, a five-pointed star, ...) but not every proportion, and another renderer of the same world picks
 * its own; training scenes drawn with random proportions ({@code train_stream.styled}) teach a model the shapes rather
 * than this renderer's outlines. {@link #STANDARD} is the world's renderer, unchanged (the written datasets use it).
 *
 * @param scale the outline's size relative to the object's radius
 * @param rectangleHalfHeight a rectangle's half height (its half width is 1.1)
 * @param ellipseHalfHeight an ellipse's half height (its half width is 1.1)
 * @param diamondHalfWidth a diamond's half width (its half height is 1.1)
 * @param starInner the radius of a star's inner corners (its points reach 1.15)
 * @param crossHalfWidth half the width of a cross's arms (they reach 1)
 */
public record Outline(
        double scale,
        double rectangleHalfHeight,
        double ellipseHalfHeight,
        double diamondHalfWidth,
        double starInner,
        double crossHalfWidth) {
    /** The world renderer: rectangles 2.2 : 1, ellipses 1.83 : 1, diamonds 0.62 : 1, stars 0.41 deep, arms 0.64. */
    public static final Outline STANDARD = new Outline(1, 0.5, 0.6, 0.68, 0.47, 0.32);

    /**
     * Random proportions that keep every shape what it is: size ±10 %, rectangles 1.8–2.5 : 1, ellipses 1.5–2.1 : 1,
     * diamonds 0.5–0.72 as wide as tall, star inner corners at 0.36–0.56 of the points, cross arms of half width
     * 0.22–0.40.
     */
    static Outline random(Rng rng) {
        return new Outline(
                rng.uniform(0.9, 1.1),
                rng.uniform(1.1 / 2.5, 1.1 / 1.8),
                rng.uniform(1.1 / 2.1, 1.1 / 1.5),
                rng.uniform(0.5 * 1.1, 0.72 * 1.1),
                rng.uniform(0.36 * 1.15, 0.56 * 1.15),
                rng.uniform(0.22, 0.40));
    }
}
