package org.blip4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class LayerScopeTest {
    @Test
    void freesTheLayersIntermediatesAndKeepsItsOutputForTheCaller() {
        Tensor[] intermediate = new Tensor[1];
        Tensor out;
        try (PointerScope request = new PointerScope()) {
            Tensor x = torch.ones(4);
            out = LayerScope.run(() -> {
                intermediate[0] = x.mul(T.s(3.0)); // dies with the layer
                return intermediate[0].add(T.s(1.0)); // 4 everywhere, handed to the request
            });
            assertTrue(intermediate[0].isNull(), "the layer's intermediate must be freed when the layer returns");
            assertFalse(out.isNull());
            assertEquals(16.0, out.sum().item_double(), 0.0);
            assertFalse(x.isNull(), "the caller's input is not the layer's to free");
        }
        assertTrue(out.isNull(), "the output lives as long as the caller's scope, no longer");
    }

    @Test
    void anIdentityLayerLeavesItsInputAliveAndBalanced() {
        Tensor x;
        try (PointerScope request = new PointerScope()) {
            x = torch.ones(2);
            Tensor in = x;
            Tensor out = LayerScope.run(() -> in);
            assertSame(x, out);
            assertFalse(x.isNull());
            assertEquals(2.0, x.sum().item_double(), 0.0);
        }
        assertTrue(x.isNull());
    }

    @Test
    void withoutAnEnclosingScopeTheCallerOwnsTheOutput() {
        Tensor out = LayerScope.run(() -> torch.ones(3));
        assertEquals(3.0, out.sum().item_double(), 0.0);
        out.close();
    }
}
