package org.blip4j.bench;

import java.util.Arrays;
import org.blip4j.engine.Engine;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * A linear layer's forward + backward (ms, best / median) as a rank of a two-rank training run computes it, on one
 * libtorch thread by default: {@code torch.linear} against a 1×1 convolution over (n, in, rows / n, 1) channels-last
 * images for n = 1 (on one thread libtorch then takes its own im2col convolution, not oneDNN), n = 16
 * ({@link org.blip4j.engine.OneDnnLinear#forwardTrainable}'s layout for rows that split), and the rows as 1×1 images.
 * {@code ConvTrainProbe [reps [threads [ROWSxINxOUT;…]]]} (docs/performance.md, round sixteen).
 */
public final class ConvTrainProbe {
    private static final long[] UNIT = {1, 1};
    private static final long[] ZERO = {0, 0};
    private static final String[] MODES = {"linear", "1 image", "16 images", "1x1 images"};

    public static void main(String[] args) {
        Engine.load();
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        torch.set_num_threads(args.length > 1 ? Integer.parseInt(args[1]) : 1);
        long[][] shapes = args.length > 2
                ? Arrays.stream(args[2].split(";"))
                        .map(t -> Arrays.stream(t.split("x"))
                                .mapToLong(Long::parseLong)
                                .toArray())
                        .toArray(long[][]::new)
                : new long[][] {{4160, 160, 480}, {4160, 160, 640}, {4160, 640, 160}, {1040, 160, 160}};
        System.out.println("threads " + torch.get_num_threads());
        for (long[] s : shapes) {
            StringBuilder line = new StringBuilder(Arrays.toString(s));
            for (int mode = 0; mode < MODES.length; mode++) {
                double[] t = new double[reps];
                for (int r = -3; r < reps; r++) {
                    try (PointerScope scope = new PointerScope()) {
                        Tensor x = torch.randn(s[0], s[1]).requires_grad_(true);
                        Tensor w = torch.randn(s[2], s[1])
                                .mul_(new org.bytedeco.pytorch.Scalar(0.05))
                                .requires_grad_(true);
                        Tensor b = torch.zeros(s[2]).requires_grad_(true);
                        long t0 = System.nanoTime();
                        Tensor y = mode == 0
                                ? torch.linear(x, w, new TensorOptional(b))
                                : conv(x, w, b, mode == 1 ? 1 : mode == 2 ? 16 : s[0]);
                        y.sum().backward();
                        if (r >= 0) {
                            t[r] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                }
                Arrays.sort(t);
                line.append(String.format("  %s %.1f/%.1f", MODES[mode], t[0], t[reps / 2]));
            }
            System.out.println(line);
        }
    }

    private static Tensor conv(Tensor x, Tensor w, Tensor b, long n) {
        long rows = x.size(0);
        long in = x.size(1);
        long out = w.size(0);
        Tensor x4 = x.reshape(n, rows / n, 1, in).permute(0, 3, 1, 2); // (n, in, rows / n, 1), channels-last
        Tensor y4 = torch.conv2d(x4, w.view(out, in, 1, 1), new TensorOptional(b), UNIT, ZERO, UNIT, 1);
        return y4.permute(0, 2, 3, 1).reshape(rows, out);
    }
}
