package org.blip4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.blip4j.engine.T;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * AdamW written out as PyTorch 1.13's single-tensor {@code torch.optim.AdamW} (decoupled decay on the pre-update
 * value, eps added after the bias-corrected square root), with its state as named tensors so checkpoints can save it.
 *
 * <p>BLIP's train_*.py use one group over all parameters (decay also on biases and LayerNorm weights); pass a
 * {@code decay} predicate to exempt names, e.g. nanoGPT's "only tensors with ≥ 2 dimensions".
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> expAvg = new LinkedHashMap<>();
    private final Map<String, Tensor> expAvgSq = new LinkedHashMap<>();
    private final Predicate<String> decay;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private double lr;
    private long step;

    public AdamW(
            Map<String, Tensor> params,
            double lr,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            Predicate<String> decay) {
        this.params = new LinkedHashMap<>(params);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decay = decay;
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : this.params.entrySet()) {
                expAvg.put(e.getKey(), retained(torch.zeros_like(e.getValue())));
                expAvgSq.put(e.getKey(), retained(torch.zeros_like(e.getValue())));
            }
        }
    }

    /** BLIP's setting: betas (0.9, 0.999), eps 1e-8, weight decay on every parameter. */
    public static AdamW blip(Map<String, Tensor> params, double lr, double weightDecay) {
        return new AdamW(params, lr, 0.9, 0.999, 1e-8, weightDecay, name -> true);
    }

    private static Tensor retained(Tensor t) {
        t.retainReference();
        return t;
    }

    public void setLearningRate(double lr) {
        this.lr = lr;
    }

    public double learningRate() {
        return lr;
    }

    public long stepCount() {
        return step;
    }

    /** Clears every gradient (sets it to zero in place, as {@code zero_grad(set_to_none=False)}). */
    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g.defined()) {
                g.detach_();
                g.zero_();
            }
        }
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        try (NoGradGuard g = new NoGradGuard()) {
            for (var e : params.entrySet()) {
                // one scope per parameter: its temporaries (denominator) go before the next, not one model-sized set at
                // the end
                try (org.bytedeco.javacpp.PointerScope s = new org.bytedeco.javacpp.PointerScope()) {
                    Tensor p = e.getValue();
                    Tensor grad = p.grad();
                    if (!grad.defined()) {
                        continue;
                    }
                    if (decay.test(e.getKey()) && weightDecay != 0) {
                        p.mul_(T.s(1 - lr * weightDecay));
                    }
                    Tensor m = expAvg.get(e.getKey());
                    Tensor v = expAvgSq.get(e.getKey());
                    m.mul_(T.s(beta1)).add_(grad, T.s(1 - beta1));
                    v.mul_(T.s(beta2)).addcmul_(grad, grad, T.s(1 - beta2));
                    Tensor denom = v.sqrt().div(T.s(bc2Sqrt)).add_(T.s(eps));
                    p.addcdiv_(m, denom, T.s(-stepSize));
                }
            }
        }
    }

    /** Optimiser state for checkpoints: {@code <name>.exp_avg}, {@code <name>.exp_avg_sq}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String k : params.keySet()) {
            out.put(k + ".exp_avg", expAvg.get(k));
            out.put(k + ".exp_avg_sq", expAvgSq.get(k));
        }
        return out;
    }

    /** Restores the state written by {@link #state()} and the step count. */
    public void load(Map<String, Tensor> state, long steps) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (String k : params.keySet()) {
                expAvg.get(k).copy_(state.get(k + ".exp_avg"));
                expAvgSq.get(k).copy_(state.get(k + ".exp_avg_sq"));
            }
        }
        this.step = steps;
    }

    /** Names of the optimised parameters. */
    public List<String> names() {
        return new ArrayList<>(params.keySet());
    }
}
