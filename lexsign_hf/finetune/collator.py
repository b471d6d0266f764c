"""Chat-formatted video–description batches for Qwen2.5-VL, with labels only on the assistant answer.

Each example is encoded on its own: the processor turns the user turn (video + prompt, rendered with the chat
template and `add_generation_prompt=True`) into tokens with the video placeholder expanded, and the answer
(description + the template's end-of-turn token) is tokenized and appended. Labels are -100 on the prompt and
padding, so the loss covers the answer only, and the prompt tokens are exactly those the model gets at
generation time. Everything else the processor returns is kept: per-token arrays (``mm_token_type_ids``, which
Qwen2.5-VL needs for its 3-D rope positions) are padded like ``input_ids``; visual arrays (pixel values, grids,
``second_per_grid_ts``) are concatenated over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from lexsign_hf.mllm.video import FramePolicy, read_video

IGNORE_INDEX = -100


class VideoChatCollator:
    """Turns `{"video", "span", "prompt", "text"}` examples into a padded training batch.

    Args:
        processor: the model's processor (`AutoProcessor.from_pretrained(...)`: tokenizer, video processor and
            chat template).
        frame_policy: which frames the model sees (default: the paper's open-model policy, central 16 frames at
            5 fps); frames are decoded here and handed over with their rate (`do_sample_frames=False`), so the
            processor never samples or receives `fps` a second time.
        max_length: longest sequence allowed; a longer example raises `ValueError` (truncating would cut video
            tokens or the answer), naming the video.
    """

    def __init__(
        self, processor: Any, frame_policy: FramePolicy | None = None, max_length: int | None = None
    ):
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        if self.tokenizer.pad_token_id is None:
            raise ValueError("the processor's tokenizer has no pad token; set tokenizer.pad_token first")
        self.frame_policy = frame_policy or FramePolicy.open_model()
        self.max_length = max_length

    def encode(self, example: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """One example as (per-token arrays incl. `labels`, visual arrays): prompt with the expanded video
        placeholder, then the labelled answer."""
        clip = read_video(example["video"], self.frame_policy, span=example.get("span"))
        user = [{"role": "user", "content": [{"type": "video"}, {"type": "text", "text": example["prompt"]}]}]
        assistant = [{"role": "assistant", "content": [{"type": "text", "text": example["text"].strip()}]}]
        prompt = self.processor.apply_chat_template(user, tokenize=False, add_generation_prompt=True)
        dialogue = self.processor.apply_chat_template(user + assistant, tokenize=False)
        if not dialogue.startswith(prompt):
            raise ValueError(
                "the chat template does not render the user turn as a prefix of the full dialogue; "
                "cannot locate the assistant span"
            )
        answer = dialogue[len(prompt) :].rstrip()
        count = len(clip.frames)
        metadata = {"total_num_frames": count, "fps": clip.fps, "frames_indices": list(range(count))}
        encoded = self.processor(
            text=[prompt],
            videos=[clip.frames],
            video_metadata=[metadata],
            do_sample_frames=False,
            return_tensors="pt",
        )
        encoded.pop("video_metadata", None)
        answer_ids = torch.tensor(
            self.tokenizer(answer, add_special_tokens=False)["input_ids"], dtype=torch.long
        )
        prompt_length = encoded["input_ids"].shape[1]
        length = prompt_length + len(answer_ids)
        if self.max_length is not None and length > self.max_length:
            raise ValueError(
                f"{example['video']}: {length} tokens ({prompt_length} prompt incl. video, {len(answer_ids)} answer) "
                f"exceed max_length={self.max_length}; lower the frame policy's max_frames or the processor's pixels"
            )
        tokens = {"labels": torch.cat([torch.full((prompt_length,), IGNORE_INDEX), answer_ids])}
        visual = {}
        for key, value in encoded.items():
            value = torch.as_tensor(value)
            if value.dim() == 2 and value.shape == (1, prompt_length):
                extension = (
                    answer_ids
                    if key == "input_ids"
                    else torch.full_like(answer_ids, int(key == "attention_mask"))
                )
                tokens[key] = torch.cat([value[0], extension.to(value.dtype)])
            else:
                visual[key] = value
        return tokens, visual

    def __call__(self, examples: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        encoded = [self.encode(example) for example in examples]
        longest = max(len(tokens["input_ids"]) for tokens, _ in encoded)
        padding = {"input_ids": self.tokenizer.pad_token_id, "labels": IGNORE_INDEX}
        batch = {
            key: torch.stack(
                [
                    torch.cat([t[key], t[key].new_full((longest - len(t[key]),), padding.get(key, 0))])
                    for t, _ in encoded
                ]
            )
            for key in encoded[0][0]
        }
        for key in encoded[0][1]:
            batch[key] = torch.cat([visual[key] for _, visual in encoded])
        return batch
