#include "live_prompts.hpp"

#include <algorithm>
#include <stdexcept>

#include <orrery/runtime.hpp>

namespace orrery::serve {

void add_prefill_work(std::pair<long, double>& work, std::size_t prompt_length) {
  const auto n = static_cast<double>(prompt_length);
  work.first += static_cast<long>(prompt_length);
  work.second += 0.5 * n * (n + 1);
}

LivePrompts::LivePrompts(const gpt::Tokenizer& tokenizer, int context, int answer_tokens, bool decode_here)
    : tokenizer_(tokenizer), context_(context), answer_tokens_(std::min(answer_tokens, context - 1)), decode_here_(decode_here) {}

std::size_t LivePrompts::take(Engine& engine) {
  std::size_t taken = 0;
  for (; const auto prompt = orrery::take_prompt(); ++taken) {
    Request r;
    r.id = -1 - taken_++;
    r.prompt = tokenizer_.encode(prompt->text);
    if (r.prompt.empty()) r.prompt = {tokenizer_.line_separator()};
    // The prompt's last tokens when it is longer than the context leaves room for.
    const auto keep = static_cast<std::size_t>(context_ - answer_tokens_ + 1);
    if (r.prompt.size() > keep) r.prompt.erase(r.prompt.begin(), r.prompt.end() - static_cast<std::ptrdiff_t>(keep));
    r.max_new_tokens = answer_tokens_;
    r.decode_here = decode_here_;
    answers_[r.id] = {prompt->id, r.prompt.size(), {}, {}};
    waiting_.push_back(std::move(r));
  }
  submit_waiting(engine);
  return taken;
}

void LivePrompts::submit_waiting(Engine& engine) {
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    try {
      engine.check(*it);
    } catch (const std::invalid_argument&) {
      ++it;  // more KV blocks than this engine's cache holds
      continue;
    }
    engine.submit(std::move(*it));
    it = waiting_.erase(it);
  }
}

std::vector<GeneratedToken> LivePrompts::stream(const std::vector<GeneratedToken>& produced) {
  std::vector<GeneratedToken> workload;
  for (const auto& g : produced) {
    if (!is_prompt(g.request)) {
      workload.push_back(g);
      continue;
    }
    auto& a = answers_.at(g.request);
    a.tokens.push_back(g.token);
    const std::string text = tokenizer_.decode(a.tokens);
    if (text.size() > a.said.size() && text.starts_with(a.said)) {  // whole characters only
      orrery::event("prompt.token", a.id + ":" + text.substr(a.said.size()));
      a.said = text;
    }
    if (g.last) {
      orrery::event("prompt.done", a.id);
      answers_.erase(g.request);
    }
  }
  return workload;
}

std::pair<long, double> LivePrompts::prompt_tokens(const std::vector<GeneratedToken>& first) const {
  std::pair<long, double> work{0, 0.0};
  for (const auto& g : first)
    if (is_prompt(g.request)) add_prefill_work(work, answers_.count(g.request) ? answers_.at(g.request).prompt_length : 0);
  return work;
}

}  // namespace orrery::serve
