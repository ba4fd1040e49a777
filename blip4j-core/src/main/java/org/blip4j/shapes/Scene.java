package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.List;

/**
 * The structured description of one synthetic image: everything the renderer needs, and the ground truth that
 * captions, questions and statements are derived from.
 *
 * @param size image side in pixels
 * @param background the background
 * @param noise amplitude of the per-pixel noise (grey levels, triangular distribution)
 * @param noiseSeed seed of the per-pixel noise
 * @param objects objects in drawing order (later ones may partly cover earlier ones)
 */
public record Scene(int size, Background background, double noise, long noiseSeed, List<SceneObject> objects) {
    public Scene {
        objects = List.copyOf(objects);
    }

    /** Objects fitting a description (null attributes match anything), in drawing order. */
    public List<SceneObject> matching(SizeClass s, ShapeColor c, ShapeKind k) {
        List<SceneObject> out = new ArrayList<>();
        for (SceneObject o : objects) {
            if (o.matches(s, c, k)) {
                out.add(o);
            }
        }
        return out;
    }

    /** How many objects fit a description. */
    public int count(SizeClass s, ShapeColor c, ShapeKind k) {
        return matching(s, c, k).size();
    }

    /** Whether "a REL b" holds for two of its objects. */
    public Relation.Truth relation(SceneObject a, Relation r, SceneObject b) {
        return r.classify(a, b, size);
    }
}
