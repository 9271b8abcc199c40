// Case numbers (案件编号) as agencies write them: （2026）湘行罚字第17号, 湘公（交）决字〔2026〕第00123号,
// A/2026/17. The configured pattern says which characters a deployment allows; the structural
// rules here hold whatever the pattern says, because a case number travels into URLs, archive
// listings, export folders and court packages: no control or invisible characters, no padding,
// nothing a file system or a URL router could read as a path.

export const CASE_NUMBER_MAX_LENGTH = 64;

/** Why a case number is refused, in Chinese and English; null when it is acceptable. */
export function caseNumberProblem(value: string, pattern: RegExp): string | null {
  if (value.length === 0) return '案件编号为空 / the case number is empty';
  const invisible = /[\p{Cc}\p{Cf}\u2028\u2029]/u.exec(value);
  if (invisible) {
    const code = `U+${invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `案件编号含有控制字符或不可见字符（${code}）/ the case number contains a control or invisible character (${code})`;
  }
  if (/^\s|\s$/u.test(value)) return '案件编号开头或结尾有空格 / the case number begins or ends with a space';
  if ([...value].length > CASE_NUMBER_MAX_LENGTH)
    return `案件编号超过 ${CASE_NUMBER_MAX_LENGTH} 个字符 / the case number is longer than ${CASE_NUMBER_MAX_LENGTH} characters`;
  if (value.includes('\\')) return '案件编号含有反斜杠 \\ / the case number contains a backslash';
  if (value.startsWith('/') || value.endsWith('/') || value.includes('//'))
    return '案件编号不能以 / 开头或结尾，也不能含有 // / the case number must not begin or end with / or contain //';
  if (value.split('/').some((segment) => segment === '.' || segment === '..'))
    return '案件编号不能含有路径成分 . 或 .. / the case number must not contain the path parts . or ..';
  if (!pattern.test(value))
    return (
      `案件编号的格式不符合 elements.caseNumberPattern（允许：汉字、字母、数字、（）()〔〕［］[]【】、/、-、·、_、.）` +
      ` / the case number does not match elements.caseNumberPattern ${pattern.source}`
    );
  return null;
}
