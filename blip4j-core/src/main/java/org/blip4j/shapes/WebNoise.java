package org.blip4j.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The noise taxonomy of the "web" split and the corruptions that produce it: captions of other images, captions with
 * one attribute flipped (colour, shape or count) so that they become false, and junk alt-text.
 */
public final class WebNoise {
    private WebNoise() {}

    /** Ground-truth label of a web caption. */
    public enum Label {
        /** A true caption of the image. */
        CLEAN,
        /** A caption of another image that is false for this one. */
        MISMATCHED,
        /** A true caption with one attribute changed so that it is false. */
        FLIPPED,
        /** Text unrelated to the content: file names, adverts. */
        JUNK;

        /** Lower-case name as written in {@code web_noise_labels.json}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A flipped caption and which attribute was changed ("color", "shape" or "count"). */
    record Flip(Caption caption, String attribute) {}

    /** Adverts and boilerplate that alt-text is often made of. */
    static final List<String> ADS = List.of(
            "buy now best price",
            "free shipping on all orders",
            "click here for more",
            "limited time offer",
            "best deals online",
            "sale 50 percent off today",
            "new arrivals shop now",
            "download free hd wallpaper",
            "stock photo royalty free",
            "copyright all rights reserved",
            "cheap prices free delivery",
            "subscribe for more",
            "add to cart",
            "view larger image",
            "image not available",
            "sign up today and save",
            "top 10 best sellers",
            "hot sale 2 for 1",
            "official store",
            "thumbnail");

    /** File-name patterns; each # becomes a random digit. */
    static final List<String> FILE_NAMES = List.of(
            "IMG_####.png",
            "IMG_####.JPG",
            "DSC#####.jpg",
            "DSC_####.JPG",
            "image###.png",
            "photo_####.jpeg",
            "screenshot ####",
            "untitled ##",
            "########.jpg",
            "scan_###.png",
            "final_v#.png",
            "pic ###.gif");

    /**
     * A flip of one attribute of one mention that makes the caption false for the scene (however it is read), or null
     * if there is none.
     * Colours and shapes are flipped where the mention names them; counts where the mention states an exact count.
     */
    static Flip flip(Caption c, Scene s, Rng rng) {
        List<int[]> options = new ArrayList<>(); // {mention, attribute 0 colour / 1 shape / 2 count}
        for (int k = 0; k < c.mentions().size(); k++) {
            Caption.Mention m = c.mentions().get(k);
            if (m.color() != null) {
                options.add(new int[] {k, 0});
            }
            if (m.shape() != null) {
                options.add(new int[] {k, 1});
            }
            if (m.exact()) {
                options.add(new int[] {k, 2});
            }
        }
        rng.shuffle(options);
        for (int[] opt : options) {
            Caption.Mention m = c.mentions().get(opt[0]);
            List<Caption.Mention> variants = new ArrayList<>();
            if (opt[1] == 0) {
                for (ShapeColor x : ShapeColor.values()) {
                    if (x != m.color()) {
                        variants.add(m.withColor(x));
                    }
                }
            } else if (opt[1] == 1) {
                for (ShapeKind x : ShapeKind.values()) {
                    if (x != m.shape()) {
                        variants.add(m.withShape(x));
                    }
                }
            } else {
                // only to explicit counts ("two"), which are false however the caption is read
                if (m.count() > 2) {
                    variants.add(m.withCount(m.count() - 1));
                }
                if (m.count() < 9) {
                    variants.add(m.withCount(m.count() + 1));
                }
            }
            rng.shuffle(variants);
            for (Caption.Mention v : variants) {
                Caption flipped = c.withMention(opt[0], v);
                if (flipped.contradicts(s)) {
                    return new Flip(flipped, new String[] {"color", "shape", "count"}[opt[1]]);
                }
            }
        }
        return null;
    }

    /** A junk alt-text: a camera-style file name or an advert. */
    static String junk(Rng rng) {
        if (rng.chance(0.5)) {
            return rng.pick(ADS);
        }
        StringBuilder sb = new StringBuilder();
        for (char ch : rng.pick(FILE_NAMES).toCharArray()) {
            sb.append(ch == '#' ? (char) ('0' + rng.nextInt(10)) : ch);
        }
        return sb.toString();
    }
}
