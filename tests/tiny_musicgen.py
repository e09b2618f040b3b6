"""A tiny random MusicGen (transformers' layout: T5 text encoder, EnCodec, decoder) and its processor, built in code.

The tokenizer is a 60-piece unigram trained on a few sentences here, so nothing is downloaded."""

from pathlib import Path

import torch
from tokenizers import SentencePieceUnigramTokenizer
from transformers import (EncodecConfig, EncodecFeatureExtractor, MusicgenConfig, MusicgenDecoderConfig,
                          MusicgenForConditionalGeneration, MusicgenProcessor, T5Config, T5TokenizerFast)

CODEBOOK = 32


def save_tiny_musicgen(folder: Path) -> Path:
    words = SentencePieceUnigramTokenizer()
    words.train_from_iterator(["happy upbeat cheerful music", "sad slow melancholic music at 70 bpm", "a rainy goodbye"] * 5,
                              vocab_size=60, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tokenizer = T5TokenizerFast(tokenizer_object=words, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", extra_ids=0)
    audio = EncodecConfig(target_bandwidths=[2.2], sampling_rate=32000, audio_channels=1, hidden_size=8, num_filters=4,
                          upsampling_ratios=[8, 5, 4, 4], codebook_size=CODEBOOK, codebook_dim=8, num_lstm_layers=1, normalize=False)
    decoder = MusicgenDecoderConfig(vocab_size=CODEBOOK, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32,
                                    num_codebooks=audio.num_quantizers, max_position_embeddings=512, pad_token_id=CODEBOOK,
                                    decoder_start_token_id=CODEBOOK, bos_token_id=CODEBOOK)
    text = T5Config(vocab_size=64, d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2)
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder))
    for key in ("pad_token_id", "decoder_start_token_id", "bos_token_id"):
        setattr(model.generation_config, key, CODEBOOK)  # as musicgen-small: the codebook size is the start token
    model.save_pretrained(folder)
    MusicgenProcessor(EncodecFeatureExtractor(sampling_rate=32000), tokenizer).save_pretrained(folder)
    return folder
