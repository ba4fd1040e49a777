package org.blip4j.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What each object has around it, on the patches it lies under: hand-placed scenes whose relations follow from
 * {@link Relation}'s cone (64-px scenes: clearly along at 9.6 px or more, within 0.75 across per along; clearly not
 * at 3.2 px or less along, or 1.33 across per along).
 */
class PatchGridTest {
    private static final int GRID = 8; // 8-px cells, centres at 4, 12, 20, ...
    private static final int PER = 2 * PatchGrid.RELATIONS.length;

    private static SceneObject object(ShapeKind k, ShapeColor c, double x, double y) {
        return new SceneObject(k, c, SizeClass.SMALL, x, y, 3, 0, 0, x - 3, y - 3, x + 3, y + 3, Outline.STANDARD);
    }

    private static Scene scene(SceneObject... objects) {
        var bg = new Background(Background.Kind.SOLID, BackgroundColor.values()[0], null, 0, 0, 0);
        return new Scene(64, bg, 0, 0, List.of(objects));
    }

    /** The labels of patch (row, col), in {@link PatchGrid#RELATIONS} order: shape, colour per relation. */
    private static long[] at(long[] labels, int row, int col) {
        int p = row * GRID + col;
        return java.util.Arrays.copyOfRange(labels, p * PER, (p + 1) * PER);
    }

    private static long[] expect(long[]... perRelation) {
        long[] out = new long[PER];
        for (Relation r : Relation.values()) {
            out[2 * r.ordinal()] = perRelation[r.ordinal()][0];
            out[2 * r.ordinal() + 1] = perRelation[r.ordinal()][1];
        }
        return out;
    }

    private static long[] of(SceneObject o) {
        return new long[] {o.shape().ordinal(), o.color().ordinal()};
    }

    private static final long[] NONE = {PatchGrid.NO_SHAPE, PatchGrid.NO_COLOR};
    private static final long[] SKIP = {PatchGrid.IGNORE, PatchGrid.IGNORE};

    @Test
    void eachObjectsPatchNamesTheOneObjectInEachRelationOrNone() {
        SceneObject p = object(ShapeKind.CIRCLE, ShapeColor.RED, 12, 20); // cell row 2, col 1
        SceneObject q = object(ShapeKind.SQUARE, ShapeColor.BLUE, 52, 20); // row 2, col 6
        SceneObject r = object(ShapeKind.TRIANGLE, ShapeColor.GREEN, 32, 56); // row 7, col 4
        long[] labels = PatchGrid.relationLabels(scene(p, q, r), GRID);
        assertEquals(GRID * GRID * PER, labels.length);
        // enum order: LEFT_OF, RIGHT_OF, ABOVE, BELOW; "what is <rel> of the circle?"
        // the square is 40 px right of the circle on its row; the triangle 20 px right but 36 px down (outside the
        // cone: clearly not right of it) and 36 px below, 20 px across (inside the cone)
        assertArrayEquals(expect(NONE, of(q), NONE, of(r)), at(labels, 2, 1));
        assertArrayEquals(expect(of(p), NONE, NONE, of(r)), at(labels, 2, 6));
        // both the circle and the square are above the triangle: not unique, so no label
        assertArrayEquals(expect(NONE, NONE, SKIP, NONE), at(labels, 7, 4));
        // background patches carry no label
        long[] skip = expect(SKIP, SKIP, SKIP, SKIP);
        assertArrayEquals(skip, at(labels, 0, 0));
        assertArrayEquals(skip, at(labels, 5, 3));
    }

    @Test
    void aPairTooCloseToCallLeavesTheRelationUnlabelled() {
        SceneObject s = object(ShapeKind.STAR, ShapeColor.YELLOW, 12, 32); // row 4, col 1
        SceneObject u = object(ShapeKind.HEXAGON, ShapeColor.WHITE, 32, 50); // row 6, col 4
        long[] labels = PatchGrid.relationLabels(scene(s, u), GRID);
        // the hexagon is 20 px right and 18 px down of the star: neither clearly right of nor clearly below it
        assertArrayEquals(expect(NONE, SKIP, NONE, SKIP), at(labels, 4, 1));
        assertArrayEquals(expect(SKIP, NONE, SKIP, NONE), at(labels, 6, 4));
    }
}
