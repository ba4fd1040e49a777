package org.blip4j.shapes;

import java.util.List;

/** Which ninth of the image (3 x 3 grid) an object's centre lies in, with the phrases captions use for it. */
public enum Region {
    TOP_LEFT(0, 0, "top left", "in the top left corner", "at the top left"),
    TOP(1, 0, "top", "at the top"),
    TOP_RIGHT(2, 0, "top right", "in the top right corner", "at the top right"),
    LEFT(0, 1, "left", "on the left"),
    CENTER(1, 1, "center", "in the center", "in the middle"),
    RIGHT(2, 1, "right", "on the right"),
    BOTTOM_LEFT(0, 2, "bottom left", "in the bottom left corner", "at the bottom left"),
    BOTTOM(1, 2, "bottom", "at the bottom"),
    BOTTOM_RIGHT(2, 2, "bottom right", "in the bottom right corner", "at the bottom right");

    /** Column 0..2 (left to right). */
    public final int col;
    /** Row 0..2 (top to bottom). */
    public final int row;

    private final String id;
    private final List<String> phrases;

    Region(int col, int row, String id, String... phrases) {
        this.col = col;
        this.row = row;
        this.id = id;
        this.phrases = List.of(phrases);
    }

    /** The name in scene descriptions, e.g. "top left". */
    public String id() {
        return id;
    }

    /** Caption phrases, e.g. "in the top left corner". */
    public List<String> phrases() {
        return phrases;
    }

    /** The region of a point in a square image of the given side. */
    public static Region of(double x, double y, int size) {
        int c = x < size / 3.0 ? 0 : x >= 2 * size / 3.0 ? 2 : 1;
        int r = y < size / 3.0 ? 0 : y >= 2 * size / 3.0 ? 2 : 1;
        return at(c, r);
    }

    /** The region at a grid cell. */
    public static Region at(int col, int row) {
        return values()[row * 3 + col];
    }
}
