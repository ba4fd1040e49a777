/**
 * Resolves {@code --model} specs, downloading Hugging Face hub models into the standard Hugging Face cache;
 * hand-written because no maintained JVM Hugging Face hub client exists.
 */
package org.blip4j.hub;
