package pebble

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/pebble/v2"

	"github.com/credo-org/credo"
)

// The audit trail, append-only:
//
//	L kind id 0x00 time(8) r(8) → inquiry (JSON), by subject and time
//	V notice id                 → adverse-action notice (JSON)
//
// r, random, makes two inquiries of one subject in the same nanosecond
// distinct: keys are not written twice, so nothing is overwritten.
const (
	tagInquiry = 'L'
	tagNotice  = 'V'
)

func inquiryPrefix(ref credo.SubjectRef) []byte {
	k := make([]byte, 0, 2+len(ref.ID)+1+16)
	k = append(k, tagInquiry, byte(ref.Kind))
	k = append(k, ref.ID...)
	return append(k, 0)
}

func noticeKey(id string) []byte { return append([]byte{tagNotice}, id...) }

// AppendAudit implements credo.Audit.
func (s *Store) AppendAudit(ctx context.Context, inqs []*credo.Inquiry, notices []*credo.AdverseNotice) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	var buf []byte
	for _, q := range inqs {
		if !q.Subject.Resolved() {
			return fmt.Errorf("inquiry %s: %w: no subject", q.RequestID, credo.ErrInvalid)
		}
		v := appendInquiry(buf[:0], q)
		buf = v
		k := inquiryPrefix(q.Subject)
		k = binary.BigEndian.AppendUint64(k, uint64(q.Time.UnixNano()))
		k = binary.BigEndian.AppendUint64(k, rand.Uint64())
		if err := b.Set(k, v, nil); err != nil { // Set copies v
			return err
		}
	}
	for _, n := range notices {
		if n.ID == "" {
			return fmt.Errorf("adverse-action notice: %w: no id", credo.ErrInvalid)
		}
		v, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("notice %s: %w", n.ID, err)
		}
		if err := b.Set(noticeKey(n.ID), v, nil); err != nil {
			return err
		}
	}
	if err := commit(b, s.wo); err != nil {
		return fmt.Errorf("audit: write %d inquiries to %s: %w", len(inqs), s.dir, err)
	}
	return nil
}

// SubjectInquiries implements credo.Audit.
func (s *Store) SubjectInquiries(ctx context.Context, ref credo.SubjectRef) iter.Seq2[*credo.Inquiry, error] {
	lo := inquiryPrefix(ref)
	hi := append(inquiryPrefix(ref)[:len(lo)-1], 1)
	return scanJSON[credo.Inquiry](ctx, s, lo, hi)
}

// Notice implements credo.Audit.
func (s *Store) Notice(ctx context.Context, id string) (*credo.AdverseNotice, error) {
	v, closer, err := s.db.Get(noticeKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("notice %s: %w", id, credo.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("notice %s: %w", id, err)
	}
	defer closer.Close()
	var n credo.AdverseNotice
	if err := json.Unmarshal(v, &n); err != nil {
		return nil, fmt.Errorf("notice %s: corrupt entry: %w", id, err)
	}
	return &n, nil
}

// appendInquiry appends q as the JSON encoding/json makes of it, without
// reflection: inquiries are written by the thousand a second.
func appendInquiry(b []byte, q *credo.Inquiry) []byte {
	b = append(b, `{"time":"`...)
	b = q.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","request_id":`...)
	b = appendJSONString(b, q.RequestID)
	b = append(b, `,"consumer":`...)
	b = appendJSONString(b, q.Consumer)
	b = append(b, `,"subject":{"kind":"`...)
	b = append(b, q.Subject.Kind.String()...)
	b = append(b, `","id":`...)
	b = appendJSONString(b, q.Subject.ID)
	b = append(b, `},"action":`...)
	b = appendJSONString(b, q.Action)
	if q.Purpose != "" {
		b = append(b, `,"purpose":`...)
		b = appendJSONString(b, q.Purpose)
	}
	b = append(b, `,"decision":`...)
	b = strconv.AppendBool(b, q.Decision)
	b = append(b, `,"subject_known":`...)
	b = strconv.AppendBool(b, q.Known)
	b = append(b, `,"reason_codes":`...)
	b = appendJSONStrings(b, q.Reasons)
	b = append(b, `,"policy_versions":`...)
	b = appendJSONStrings(b, q.PolicyVersions)
	if q.NoticeID != "" {
		b = append(b, `,"notice_id":`...)
		b = appendJSONString(b, q.NoticeID)
	}
	return append(b, '}')
}

func appendJSONStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s quoted for JSON: quotes, backslashes and
// control characters escaped, invalid UTF-8 as U+FFFD (as encoding/json).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
