package org.blip4j.data;

import org.blip4j.text.BertTokenizer;

/**
 * How a task tokenises its texts, i.e. the {@code tokenizer(text, padding=..., truncation=True, max_length=...)}
 * call of the matching BLIP model's {@code forward} (used by {@link Collate}).
 *
 * @param maxLength tokens including {@code [CLS]} and {@code [SEP]}; {@code Integer.MAX_VALUE} for no truncation
 * @param padding {@code max_length} or {@code longest}
 */
public record TextEncoding(int maxLength, BertTokenizer.Padding padding) {
    /** {@code blip_pretrain.py}: {@code padding='max_length', max_length=30}. */
    public static final TextEncoding PRETRAIN = new TextEncoding(30, BertTokenizer.Padding.MAX_LENGTH);
    /** {@code blip.py BLIP_Decoder.forward}: {@code padding='longest', max_length=40} (prompt included). */
    public static final TextEncoding CAPTION = new TextEncoding(40, BertTokenizer.Padding.LONGEST);
    /** {@code blip_retrieval.py}: {@code padding='max_length', max_length=35}. */
    public static final TextEncoding RETRIEVAL = new TextEncoding(35, BertTokenizer.Padding.MAX_LENGTH);
    /** {@code blip_vqa.py} questions: {@code padding='longest', max_length=35}. */
    public static final TextEncoding VQA_QUESTION = new TextEncoding(35, BertTokenizer.Padding.LONGEST);
    /** {@code blip_vqa.py} answers: {@code padding='longest'}, no truncation. */
    public static final TextEncoding VQA_ANSWER = new TextEncoding(Integer.MAX_VALUE, BertTokenizer.Padding.LONGEST);
    /** {@code blip_nlvr.py}: {@code padding='longest'}, no truncation. */
    public static final TextEncoding NLVR = new TextEncoding(Integer.MAX_VALUE, BertTokenizer.Padding.LONGEST);

    public TextEncoding {
        if (maxLength < 2
                || padding == null
                || (padding == BertTokenizer.Padding.MAX_LENGTH && maxLength == Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(
                    "maxLength must be >= 2 (finite for MAX_LENGTH padding), got " + maxLength + " with " + padding);
        }
    }
}
